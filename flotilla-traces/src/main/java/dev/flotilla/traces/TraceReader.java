package dev.flotilla.traces;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Reads request traces: the input of {@code flotilla simulate} and {@code flotilla load}.
 *
 * <pre>{@code
 * Trace azure = TraceReader.read(Path.of("AzureLLMInferenceTrace_code.csv.gz"), TraceFormat.AZURE, ReadOptions.defaults());
 * azure.stats().peakToMeanPerMinute();     // 4.2
 *
 * try (TraceStream day = TraceReader.open(servegenTarGz, TraceFormat.SERVEGEN,
 *         ReadOptions.defaults().withUntil(Duration.ofDays(1)).withRateScale(0.01))) {
 *     day.forEachRemaining(simulator::arrive);
 * }
 * }</pre>
 *
 * <p>Every problem with the file or the options (missing file, empty file, a malformed row named
 * by line and column, negative or out-of-order times, an option that does not apply to the format)
 * is a {@link FlotillaException} with {@link dev.flotilla.core.ErrorCode#INVALID_ARGUMENT}. Gzip is
 * recognised by content, so {@code .csv} and {@code .csv.gz} both work.
 */
public final class TraceReader {
    private TraceReader() {}

    /** {@link #read(Path, TraceFormat, ReadOptions)} with the default options. */
    public static Trace read(Path file, TraceFormat format) {
        return read(file, format, ReadOptions.defaults());
    }

    /**
     * The whole selection in memory, with its stats. Refuses more than {@code options.maxRequests()}
     * requests and an empty selection.
     */
    public static Trace read(Path file, TraceFormat format, ReadOptions options) {
        try (TraceStream s = open(file, format, options)) {
            if (s.expectedRequests().isPresent() && s.expectedRequests().getAsDouble() > options.maxRequests()) {
                throw tooMany(s, options); // fail before generating millions only to drop them
            }
            List<TraceRequest> requests = new ArrayList<>();
            TraceStats.Accumulator stats = new TraceStats.Accumulator();
            while (s.hasNext()) {
                if (requests.size() >= options.maxRequests()) {
                    throw tooMany(s, options);
                }
                TraceRequest r = s.next();
                requests.add(r);
                stats.add(r);
            }
            if (requests.isEmpty()) {
                throw FlotillaException.invalid("until", "trace " + s.name() + " has no requests in [" + options.from() + ", "
                        + options.until().map(Duration::toString).orElse("end") + ")");
            }
            return new Trace(s.name(), format, s.start(), requests, stats.result());
        }
    }

    /** The selection as a stream of requests in arrival order; see {@link TraceStream}. */
    public static TraceStream open(Path file, TraceFormat format, ReadOptions options) {
        requireNonNull(file, "file is null");
        if (format == null) {
            throw FlotillaException.invalid("format", "trace format is missing; accepted: " + TraceFormat.accepted());
        }
        requireNonNull(options, "options is null");
        if (format != TraceFormat.SERVEGEN) {
            refuseServeGenOnly(format, options);
        }
        return switch (format) {
            case AZURE -> recorded(file, format, new AzureParser(Input.Lines.open(file)), options);
            case GENTD -> recorded(file, format, new GentdParser(Input.Lines.open(file)), options);
            case MOONCAKE -> recorded(file, format, new MooncakeParser(Input.Lines.open(file)), options);
            case SERVEGEN -> servegen(file, options);
        };
    }

    private static TraceStream recorded(Path file, TraceFormat format, RecordParser parser, ReadOptions options) {
        RecordedSource source;
        try {
            source = new RecordedSource(parser, format.hasAbsoluteTimes(), options);
        } catch (RuntimeException e) {
            parser.close();
            throw e;
        }
        return new TraceStream(Input.baseName(file), format, source.start(), OptionalDouble.empty(), source);
    }

    private static TraceStream servegen(Path file, ReadOptions options) {
        ServeGenModel model = ServeGenModel.load(file, options.sortUnsorted());
        TokenLengths lengths = options.tokenLengths()
                .or(() -> TokenLengths.defaultFor(model.category))
                .orElseThrow(() -> FlotillaException.invalid("token-lengths", "ServeGen category '" + model.category
                        + "' of " + file + " has no default token lengths (known: language, reason, multimodal); set token-lengths"));
        ServeGenSource source = new ServeGenSource(model, options, lengths);
        return new TraceStream(model.name(), TraceFormat.SERVEGEN, Optional.empty(), OptionalDouble.of(source.expected()), source);
    }

    private static void refuseServeGenOnly(TraceFormat format, ReadOptions options) {
        String why = " applies to servegen traces only; a " + format.wireName() + " trace is replayed as recorded";
        if (options.rateScale() != 1.0) {
            throw FlotillaException.invalid("rate-scale", "rate-scale" + why + " (speed it up in the replayer instead)");
        }
        if (options.selectsClients()) {
            throw FlotillaException.invalid("max-clients", "max-clients" + why);
        }
        if (options.tokenLengths().isPresent()) {
            throw FlotillaException.invalid("token-lengths", "token-lengths" + why);
        }
    }

    private static FlotillaException tooMany(TraceStream s, ReadOptions options) {
        return FlotillaException.invalid("max-requests", "trace " + s.name() + " has more than " + options.maxRequests()
                + " requests in the selection" + expectedNote(s) + "; stream it with TraceReader.open, or select less (until, rate-scale, max-clients)");
    }

    private static String expectedNote(TraceStream s) {
        return s.expectedRequests().isPresent() ? String.format(" (about %.0f expected)", s.expectedRequests().getAsDouble()) : "";
    }
}
