package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What one scheduler step did: when it ended (modelled seconds since the scheduler started), how
 * long it took by the engine model, what it computed and the tokens it produced, in admission
 * order of their requests.
 */
public record StepResult(double endSeconds, double seconds, int prefillTokens, int decodeSequences,
        List<TokenEvent> events) {
    public StepResult {
        requireNonNull(events, "events is null");
        events = List.copyOf(events);
        if (!(seconds > 0) || prefillTokens < 0 || decodeSequences < 0) {
            throw new IllegalArgumentException("a step takes positive time and non-negative work; got " + seconds
                    + " s, " + prefillTokens + " prefill tokens, " + decodeSequences + " decode sequences");
        }
    }
}
