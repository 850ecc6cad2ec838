package dev.flotilla.embeddings;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * The OpenAI-compatible embeddings endpoint without the HTTP: bytes of a request body in, bytes of
 * a response body out, or a {@link FlotillaException} that names the offending field and value.
 * Every call blocks (tokenization, then waiting for the batcher), so callers run it on a virtual
 * thread, never on an event loop.
 */
public final class EmbeddingsApi {
    private final EmbeddingModel model;
    private final Batcher<TokenizedText, float[]> batcher;
    private final String servedModelName;
    private final int maxInputs;
    private final ObjectMapper json;

    public EmbeddingsApi(EmbeddingModel model, Batcher<TokenizedText, float[]> batcher, String servedModelName,
            int maxInputs, ObjectMapper json) {
        this.model = requireNonNull(model, "model is null");
        this.batcher = requireNonNull(batcher, "batcher is null");
        this.servedModelName = requireNonNull(servedModelName, "servedModelName is null");
        if (maxInputs < 1) {
            throw new IllegalArgumentException("maxInputs is " + maxInputs + "; it must be at least 1");
        }
        this.maxInputs = maxInputs;
        this.json = requireNonNull(json, "json is null");
    }

    /** Answers one request body; throws {@link FlotillaException} for anything the caller got wrong. */
    public byte[] embeddings(byte[] body) {
        EmbeddingRequest request = parse(body);
        List<TokenizedText> tokenized = model.tokenize(request.inputs());
        long promptTokens = 0;
        for (int i = 0; i < tokenized.size(); i++) {
            int count = tokenized.get(i).tokenCount();
            if (count > EmbeddingModel.MAX_TOKENS) {
                throw FlotillaException.invalid("input", "input[" + i + "] is " + count
                        + " tokens long; " + servedModelName + " accepts at most " + EmbeddingModel.MAX_TOKENS
                        + " tokens per input (including [CLS] and [SEP]); shorten or split it");
            }
            promptTokens += count;
        }
        List<float[]> vectors;
        try {
            vectors = batcher.submit(tokenized).join();
        } catch (CompletionException e) {
            throw new FlotillaException(ErrorCode.INTERNAL, null, "the embedding model failed", e.getCause());
        }
        return render(request, vectors, promptTokens);
    }

    EmbeddingRequest parse(byte[] body) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JsonProcessingException e) {
            throw new FlotillaException(ErrorCode.MALFORMED_JSON, null,
                    "the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new FlotillaException(ErrorCode.MALFORMED_JSON, null, "the request body could not be read as JSON");
        }
        if (root == null || !root.isObject()) {
            throw new FlotillaException(ErrorCode.MALFORMED_JSON, null,
                    "the request body must be a JSON object, got " + describe(root));
        }
        String modelName = requiredString(root, "model");
        if (!modelName.equals(servedModelName)) {
            throw new FlotillaException(ErrorCode.NOT_FOUND, "model",
                    "The model '" + modelName + "' does not exist; this server serves '" + servedModelName + "'");
        }
        List<String> inputs = inputs(root.get("input"));
        EncodingFormat format = encodingFormat(root.get("encoding_format"));
        JsonNode dimensions = root.get("dimensions");
        if (dimensions != null && !dimensions.isNull()
                && !(dimensions.isIntegralNumber() && dimensions.asLong() == EmbeddingModel.DIMENSION)) {
            throw FlotillaException.invalid("dimensions", "dimensions is " + dimensions + "; "
                    + servedModelName + " only produces " + EmbeddingModel.DIMENSION
                    + "-dimensional vectors: send " + EmbeddingModel.DIMENSION + " or leave it out");
        }
        JsonNode user = root.get("user");
        if (user != null && !user.isNull() && !user.isTextual()) {
            throw FlotillaException.invalid("user", "user must be a string, got " + describe(user));
        }
        return new EmbeddingRequest(inputs, modelName, format);
    }

    private List<String> inputs(JsonNode input) {
        if (input == null || input.isNull()) {
            throw FlotillaException.invalid("input",
                    "input is required: a string or a list of strings to embed");
        }
        if (input.isTextual()) {
            return List.of(nonEmpty(input.textValue(), "input"));
        }
        if (!input.isArray()) {
            throw FlotillaException.invalid("input",
                    "input must be a string or a list of strings, got " + describe(input));
        }
        if (input.isEmpty()) {
            throw FlotillaException.invalid("input", "input is an empty list; send at least one string");
        }
        if (input.size() > maxInputs) {
            throw FlotillaException.invalid("input", "input has " + input.size()
                    + " items; at most " + maxInputs + " inputs are accepted per request");
        }
        List<String> out = new ArrayList<>(input.size());
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (item.isTextual()) {
                out.add(nonEmpty(item.textValue(), "input[" + i + "]"));
            } else if (item.isIntegralNumber() || item.isArray()) {
                // OpenAI also takes token ids, but they are tiktoken ids; ours are BERT WordPiece
                // ids, so accepting them would silently embed different text.
                throw FlotillaException.invalid("input", "input[" + i + "] is " + describe(item)
                        + ": token-id inputs are not supported by " + servedModelName + "; send text");
            } else {
                throw FlotillaException.invalid("input",
                        "input[" + i + "] must be a string, got " + describe(item));
            }
        }
        return out;
    }

    private static String nonEmpty(String text, String where) {
        if (text.isEmpty()) {
            throw FlotillaException.invalid("input", where + " is an empty string; send non-empty text");
        }
        return text;
    }

    private static EncodingFormat encodingFormat(JsonNode node) {
        if (node == null || node.isNull()) {
            return EncodingFormat.FLOAT;
        }
        if (!node.isTextual()) {
            throw FlotillaException.invalid("encoding_format",
                    "encoding_format must be \"float\" or \"base64\", got " + describe(node));
        }
        return EncodingFormat.fromWire(node.textValue()).orElseThrow(() -> FlotillaException.invalid(
                "encoding_format", "encoding_format is \"" + node.textValue()
                        + "\"; send \"float\" or \"base64\""));
    }

    private static String requiredString(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw FlotillaException.invalid(field, field + " is required");
        }
        if (!node.isTextual()) {
            throw FlotillaException.invalid(field, field + " must be a string, got " + describe(node));
        }
        return node.textValue();
    }

    private static String describe(JsonNode node) {
        if (node == null || node.getNodeType() == JsonNodeType.MISSING) {
            return "nothing";
        }
        String text = node.toString();
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        String type = node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        return ("aeiou".indexOf(type.charAt(0)) >= 0 ? "an " : "a ") + type + " (" + shown + ")";
    }

    private byte[] render(EmbeddingRequest request, List<float[]> vectors, long promptTokens) {
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (int i = 0; i < vectors.size(); i++) {
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            float[] vector = vectors.get(i);
            if (request.encodingFormat() == EncodingFormat.BASE64) {
                item.put("embedding", toBase64(vector));
            } else {
                ArrayNode numbers = item.putArray("embedding");
                for (float v : vector) {
                    numbers.add(v);
                }
            }
        }
        root.put("model", servedModelName);
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("total_tokens", promptTokens);
        try {
            return json.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write an embeddings response", e);
        }
    }

    /** Little-endian float32, then standard base64: what OpenAI's clients decode. */
    static String toBase64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
