package dev.flotilla.traces;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Alibaba GenTD 2026 text-to-image requests ({@code lora_request_trace.csv}, alibaba/clusterdata
 * cluster-trace-v2026-GenAI, research use): a header with at least {@code gmt_create} and
 * {@code exec_time_seconds}. Arrival is {@code gmt_create} (whole seconds; read as UTC). Image
 * generation has no token counts, so both are 0 and the recorded {@code exec_time_seconds} becomes
 * {@link TraceRequest#serviceSeconds()}; the tag is {@code checkpoint_model_version_id} (the
 * model whose load is the cold start) where the column exists. Rows of every
 * {@code predict_status} are kept: a failed request still arrived and was worked on.
 */
final class GentdParser extends RecordParser {
    static final String HEADER = "gmt_create,predict_type,predict_status,exec_time_seconds,...,checkpoint_model_version_id,...";
    private static final String EXAMPLE = "2024-11-15 16:57:50";
    private final int created;
    private final int exec;
    private final int model;
    private final int needed;

    GentdParser(Input.Lines lines) {
        super(lines);
        List<String> cols = header(HEADER);
        created = column(cols, "gmt_create", HEADER);
        exec = column(cols, "exec_time_seconds", HEADER);
        model = indexOf(cols, "checkpoint_model_version_id"); // optional: only the tag needs it
        needed = Math.max(created, exec) + 1;
    }

    @Override
    TraceRequest next() {
        String line = lines.nextNonBlank();
        if (line == null) {
            return null;
        }
        List<String> f = fields(line, needed, "gmt_create, ..., exec_time_seconds");
        long t = timestamp(f.get(created), "gmt_create", EXAMPLE);
        if (t < 0) {
            throw error("gmt_create", "'" + f.get(created) + "' is before 1970");
        }
        String e = f.get(exec).strip();
        double seconds;
        try {
            seconds = Double.parseDouble(e);
        } catch (NumberFormatException x) {
            throw error("exec_time_seconds", "'" + e + "' is not a number of seconds");
        }
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            throw error("exec_time_seconds", e + " is not a duration >= 0 seconds");
        }
        Optional<String> tag = Optional.empty();
        if (model >= 0 && model < f.size() && !f.get(model).isBlank()) {
            tag = Optional.of(f.get(model).strip());
        }
        return new TraceRequest(t, 0, 0, TraceRequest.NO_HASHES, tag, OptionalDouble.of(seconds));
    }

    @Override
    String describe(long rawMicros) {
        return formatMicros(rawMicros);
    }
}
