package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One request as the scheduler sees it: {@code promptTokens} to prefill, then the tokens of
 * {@code text} decoded one per step until {@code maxTokens} or the end of the text. The text is
 * known up front because the emulator's output is deterministic; only its timing is modelled.
 */
public record SequenceRequest(long id, int promptTokens, int maxTokens, List<String> text) {
    public SequenceRequest {
        requireNonNull(text, "text is null");
        text = List.copyOf(text);
        if (promptTokens < 1) {
            throw new IllegalArgumentException("promptTokens must be >= 1; got " + promptTokens);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1; got " + maxTokens);
        }
        if (text.isEmpty()) {
            throw new IllegalArgumentException("text must hold at least one token");
        }
    }

    /** Tokens this request will generate: the text, cut at {@code maxTokens}. */
    public int outputTokens() {
        return Math.min(maxTokens, text.size());
    }

    /** Why it will stop: {@code length} when {@code maxTokens} cuts the text short. */
    public FinishReason finishReason() {
        return text.size() > maxTokens ? FinishReason.LENGTH : FinishReason.STOP;
    }

    /** KV-cache tokens the sequence holds at its longest: prompt plus every generated token. */
    public long peakKvTokens() {
        return (long) promptTokens + outputTokens();
    }
}
