package dev.flotilla.cli;

import dev.flotilla.cli.client.CliException;
import dev.flotilla.traces.ReadOptions;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The options that select part of a trace, shared by {@code flotilla simulate} and {@code flotilla load}. */
final class TraceSelection {
    @Option(names = "--days", paramLabel = "N", description = "Only the first N days of the trace (ServeGen is 14).")
    Double days;

    @Option(names = "--max-clients", paramLabel = "N", description = "ServeGen: only the first N clients.")
    Integer maxClients;

    @Option(names = "--rate-scale", paramLabel = "X", description = "ServeGen: multiply every client's rate.")
    Double rateScale;

    Optional<Double> days() {
        return Optional.ofNullable(days);
    }

    /**
     * The trace reader's options for this selection; a value the reader refuses raises its
     * {@link dev.flotilla.core.FlotillaException} (the caller names the option).
     */
    ReadOptions readOptions(long seed) {
        if (days != null && (!(days > 0) || !Double.isFinite(days))) {
            throw new CliException(CliException.USAGE, "invalid_argument", "--days must be a number > 0, got " + days);
        }
        ReadOptions o = ReadOptions.defaults().withSeed(seed);
        if (days != null) {
            o = o.withUntil(Duration.ofMillis(Math.round(days * 86_400_000)));
        }
        if (maxClients != null) {
            o = o.withMaxClients(maxClients);
        }
        if (rateScale != null) {
            o = o.withRateScale(rateScale);
        }
        return o;
    }
}
