package dev.flotilla.engine;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import dev.flotilla.core.Csv;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The models Flotilla knows by name, loaded from {@code models.csv} (one row per model, copied
 * from its {@code config.json}; sources in {@code SOURCES.md} beside it). Lookups are
 * case-insensitive and accept the catalog id ({@code Llama-3.1-8B}) or the Hugging Face
 * repository ({@code meta-llama/Llama-3.1-8B}).
 */
public final class ModelCatalog {
    private static final String HF_PREFIX = "https://huggingface.co/";
    private static final ModelCatalog DEFAULT = load();

    private final List<ModelShape> models;
    private final Map<String, ModelShape> byKey;

    public ModelCatalog(List<ModelShape> models) {
        this.models = List.copyOf(models);
        Map<String, ModelShape> keys = new HashMap<>();
        for (ModelShape m : this.models) {
            putUnique(keys, key(m.id()), m);
            repository(m).ifPresent(repo -> {
                if (!key(repo).equals(key(m.id()))) {
                    putUnique(keys, key(repo), m);
                }
            });
        }
        this.byKey = Map.copyOf(keys);
    }

    private static void putUnique(Map<String, ModelShape> keys, String key, ModelShape m) {
        ModelShape previous = keys.putIfAbsent(key, m);
        if (previous != null && previous != m) {
            throw new IllegalArgumentException("model catalog has two entries named '" + key + "': "
                    + previous.id() + " and " + m.id());
        }
    }

    /** The catalog shipped with Flotilla. */
    public static ModelCatalog defaultCatalog() {
        return DEFAULT;
    }

    /** All models, in catalog order. */
    public List<ModelShape> all() {
        return models;
    }

    /** The model with this id or Hugging Face repository, case-insensitively. */
    public Optional<ModelShape> find(String idOrRepository) {
        requireNonNull(idOrRepository, "idOrRepository is null");
        return Optional.ofNullable(byKey.get(key(idOrRepository)));
    }

    /** Like {@link #find} but fails with a message listing the known ids. */
    public ModelShape get(String idOrRepository) {
        return find(idOrRepository).orElseThrow(() -> new FlotillaException(ErrorCode.INVALID_ARGUMENT, "model",
                "unknown model '" + idOrRepository + "'; known: " + String.join(", ", ids())));
    }

    /** The catalog ids, in catalog order. */
    public List<String> ids() {
        return models.stream().map(ModelShape::id).toList();
    }

    /** {@code org/name} when the source is a Hugging Face URL. */
    static Optional<String> repository(ModelShape m) {
        String s = m.source();
        if (!s.startsWith(HF_PREFIX)) {
            return Optional.empty();
        }
        String[] parts = s.substring(HF_PREFIX.length()).split("/");
        return parts.length >= 2 ? Optional.of(parts[0] + "/" + parts[1]) : Optional.empty();
    }

    private static String key(String s) {
        return s.trim().toLowerCase(Locale.ROOT);
    }

    static ModelCatalog load() {
        try (InputStream in = ModelCatalog.class.getResourceAsStream("/dev/flotilla/engine/models.csv")) {
            if (in == null) {
                throw new IllegalStateException("models.csv missing from the classpath");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses the catalog CSV: {@code #} comment lines, a header row, then one model per row. */
    public static ModelCatalog parse(String csv) {
        List<ModelShape> shapes = new ArrayList<>();
        List<String> header = null;
        int lineNo = 0;
        for (String line : csv.split("\n")) {
            lineNo++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            List<String> cells = Csv.split(trimmed);
            if (header == null) {
                header = cells;
                continue;
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                row.put(header.get(i), i < cells.size() ? cells.get(i).strip() : "");
            }
            shapes.add(row(row, lineNo));
        }
        return new ModelCatalog(shapes);
    }

    private static ModelShape row(Map<String, String> row, int lineNo) {
        String id = row.get("id");
        ModelFamily family = ModelFamily.byModelType(row.getOrDefault("family", ""))
                .orElseThrow(() -> new IllegalArgumentException("models.csv line " + lineNo + ": unknown family '"
                        + row.get("family") + "'"));
        try {
            return new ModelShape(id, family, integer(row, "layers"), integer(row, "hidden_size"),
                    integer(row, "attention_heads"), integer(row, "kv_heads"), integer(row, "head_dim"),
                    integer(row, "intermediate_size"), integer(row, "vocab_size"), integer(row, "experts"),
                    integer(row, "active_experts"), integer(row, "moe_intermediate_size"),
                    integer(row, "max_context"), Boolean.parseBoolean(row.get("tied_embeddings")), row.get("source"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("models.csv line " + lineNo + ": " + e.getMessage(), e);
        }
    }

    private static int integer(Map<String, String> row, String column) {
        String v = row.get(column);
        if (v == null) {
            throw new NumberFormatException("missing column " + column);
        }
        return Integer.parseInt(v);
    }
}
