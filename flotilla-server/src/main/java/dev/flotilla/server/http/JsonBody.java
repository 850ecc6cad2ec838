package dev.flotilla.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A JSON request body read field by field, each with its type checked and a message naming the
 * field when it is wrong. {@link #finish()} rejects fields nobody read, so a misspelt field is an
 * error rather than silently ignored.
 */
public final class JsonBody {
    private final JsonNode root;
    private final Set<String> read = new LinkedHashSet<>();

    private JsonBody(JsonNode root) {
        this.root = root;
    }

    public static JsonBody parse(ObjectMapper mapper, String text) {
        if (text == null || text.isBlank()) {
            throw new FlotillaException(ErrorCode.MALFORMED_JSON, null, "request body is empty; expected a JSON object");
        }
        try {
            JsonNode n = mapper.readTree(text);
            if (n == null || !n.isObject()) {
                throw new FlotillaException(ErrorCode.MALFORMED_JSON, null, "request body must be a JSON object, got "
                        + (n == null ? "nothing" : n.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
            }
            return new JsonBody(n);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw new FlotillaException(ErrorCode.MALFORMED_JSON, null, "request body is not valid JSON: " + msg);
        }
    }

    private Optional<JsonNode> node(String field) {
        read.add(field);
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? Optional.empty() : Optional.of(n);
    }

    private static FlotillaException type(String field, JsonNode n, String expected) {
        return FlotillaException.invalid(field, field + " must be " + expected + ", got " + n);
    }

    public Optional<String> optString(String field) {
        return node(field).map(n -> {
            if (!n.isTextual()) {
                throw type(field, n, "a string");
            }
            return n.asText();
        });
    }

    public String string(String field) {
        return optString(field).orElseThrow(() -> missing(field, "a string"));
    }

    public Optional<Long> optLong(String field) {
        return node(field).map(n -> {
            if (!n.isIntegralNumber() || !n.canConvertToLong()) {
                throw type(field, n, "a whole number");
            }
            return n.asLong();
        });
    }

    public long longValue(String field) {
        return optLong(field).orElseThrow(() -> missing(field, "a whole number"));
    }

    public Optional<Integer> optInt(String field) {
        return optLong(field).map(v -> {
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw FlotillaException.invalid(field, field + " is out of range: " + v);
            }
            return v.intValue();
        });
    }

    public int intValue(String field, int dflt) {
        return optInt(field).orElse(dflt);
    }

    public Optional<Double> optDouble(String field) {
        return node(field).map(n -> {
            if (!n.isNumber()) {
                throw type(field, n, "a number");
            }
            double d = n.asDouble();
            if (!Double.isFinite(d)) {
                throw type(field, n, "a finite number");
            }
            return d;
        });
    }

    public double doubleValue(String field) {
        return optDouble(field).orElseThrow(() -> missing(field, "a number"));
    }

    public boolean bool(String field, boolean dflt) {
        return optBool(field).orElse(dflt);
    }

    public Optional<Boolean> optBool(String field) {
        return node(field).map(n -> {
            if (!n.isBoolean()) {
                throw type(field, n, "true or false");
            }
            return n.asBoolean();
        });
    }

    /** A dollar amount given as a JSON number or a decimal string ({@code 0.25} or {@code "0.25"}). */
    public Optional<Money> optMoney(String field) {
        return node(field).map(n -> {
            if (n.isNumber()) {
                return Money.ofDollars(n.decimalValue(), field);
            }
            if (n.isTextual()) {
                try {
                    return Money.ofDollars(new BigDecimal(n.asText().trim()), field);
                } catch (NumberFormatException e) {
                    throw type(field, n, "a dollar amount such as 0.25");
                }
            }
            throw type(field, n, "a dollar amount such as 0.25");
        });
    }

    public Money money(String field) {
        return optMoney(field).orElseThrow(() -> missing(field, "a dollar amount such as 0.25"));
    }

    /** An instant as ISO-8601 ({@code 2027-01-01T00:00:00Z}) or a date ({@code 2027-01-01}, midnight UTC). */
    public Optional<Instant> optInstant(String field) {
        return optString(field).map(s -> {
            try {
                return s.length() == 10 ? LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC) : Instant.parse(s);
            } catch (DateTimeParseException e) {
                throw FlotillaException.invalid(field, field + " must be a date like 2027-01-31 or an instant like"
                        + " 2027-01-31T00:00:00Z, got '" + s + "'");
            }
        });
    }

    public Instant instant(String field) {
        return optInstant(field).orElseThrow(() -> missing(field, "a date like 2027-01-31"));
    }

    /** A JSON object field, as plain Java maps, lists, numbers, strings and booleans. */
    public Optional<java.util.Map<String, Object>> optObject(ObjectMapper mapper, String field) {
        return node(field).map(n -> {
            if (!n.isObject()) {
                throw type(field, n, "a JSON object");
            }
            @SuppressWarnings("unchecked")
            java.util.Map<String, Object> m = mapper.convertValue(n, java.util.Map.class);
            return m;
        });
    }

    /** A nested JSON object, read as its own body (its unknown fields rejected too). */
    public Optional<JsonBody> optBody(String field) {
        return node(field).map(n -> {
            if (!n.isObject()) {
                throw type(field, n, "a JSON object");
            }
            return new JsonBody(n);
        });
    }

    /** A JSON array of strings. */
    public java.util.List<String> stringList(String field) {
        return node(field).map(n -> {
            if (!n.isArray()) {
                throw type(field, n, "a list of strings");
            }
            java.util.List<String> out = new java.util.ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    throw type(field, n, "a list of strings");
                }
                out.add(e.asText());
            }
            return java.util.List.copyOf(out);
        }).orElse(java.util.List.of());
    }

    /** A JSON array of objects, each read as its own body (its unknown fields rejected too). */
    public java.util.List<JsonBody> objectList(String field) {
        return node(field).map(n -> {
            if (!n.isArray()) {
                throw type(field, n, "a list of objects");
            }
            java.util.List<JsonBody> out = new java.util.ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isObject()) {
                    throw type(field, n, "a list of objects");
                }
                out.add(new JsonBody(e));
            }
            return java.util.List.copyOf(out);
        }).orElse(java.util.List.of());
    }

    /** Fails when the body has fields that were never read. */
    public void finish() {
        Set<String> unknown = new TreeSet<>();
        Iterator<String> it = root.fieldNames();
        while (it.hasNext()) {
            String f = it.next();
            if (!read.contains(f)) {
                unknown.add(f);
            }
        }
        if (!unknown.isEmpty()) {
            throw FlotillaException.invalid(unknown.iterator().next(), "unknown field(s) " + unknown + "; accepted: " + read);
        }
    }

    private static FlotillaException missing(String field, String expected) {
        return FlotillaException.invalid(field, field + " is required: " + expected);
    }
}
