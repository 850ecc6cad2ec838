package dev.flotilla.embeddings;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A validated {@code POST /v1/embeddings} body. {@code user} is accepted for OpenAI compatibility
 * and otherwise ignored, so it is not kept.
 */
public record EmbeddingRequest(List<String> inputs, String model, EncodingFormat encodingFormat) {
    public EmbeddingRequest {
        inputs = List.copyOf(requireNonNull(inputs, "inputs is null"));
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("inputs is empty");
        }
        requireNonNull(model, "model is null");
        requireNonNull(encodingFormat, "encodingFormat is null");
    }
}
