package dev.flotilla.traces;

import dev.flotilla.core.FlotillaException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The trace formats Flotilla reads, by the public data set that defines each. Three are recordings
 * (every request with its time); {@link #SERVEGEN} is a model (per-client arrival rates per 600-s
 * window) that the reader turns into arrivals with a fixed seed.
 */
public enum TraceFormat {
    /** Azure LLM inference trace 2023: CSV {@code TIMESTAMP,ContextTokens,GeneratedTokens}. */
    AZURE(true),
    /** Mooncake (Kimi) trace: JSON Lines with a millisecond offset and prefix-block hash ids. */
    MOONCAKE(false),
    /** Alibaba ServeGen: per-client, per-window rate and inter-arrival distribution. */
    SERVEGEN(false),
    /** Alibaba GenTD 2026 text-to-image requests: CSV with {@code gmt_create} and an execution time. */
    GENTD(true);

    private final boolean absoluteTimes;

    TraceFormat(boolean absoluteTimes) {
        this.absoluteTimes = absoluteTimes;
    }

    /** Whether the format records wall-clock times, so that a trace has a start instant. */
    public boolean hasAbsoluteTimes() {
        return absoluteTimes;
    }

    /** The name written on the command line: {@code azure}, {@code mooncake}, ... */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The format called {@code text} (any case), or an invalid-argument error naming the accepted ones. */
    public static TraceFormat parse(String text) {
        if (text != null) {
            String t = text.strip().toLowerCase(Locale.ROOT);
            for (TraceFormat f : values()) {
                if (f.wireName().equals(t)) {
                    return f;
                }
            }
        }
        throw FlotillaException.invalid("format", "unknown trace format '" + text + "'; accepted: " + accepted());
    }

    static String accepted() {
        return Arrays.stream(values()).map(TraceFormat::wireName).collect(Collectors.joining(", "));
    }
}
