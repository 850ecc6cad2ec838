package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A validated {@code /v1/chat/completions} or {@code /v1/completions} request: what the emulator
 * needs from it. {@code canonicalPrompt} is the text that seeds the deterministic answer (roles
 * and contents of a chat, the prompt of a completion).
 */
public record CompletionRequest(boolean chat, String model, String canonicalPrompt, int promptTokens, int maxTokens,
        boolean stream, boolean includeUsage, List<String> stop) {
    public CompletionRequest {
        requireNonNull(model, "model is null");
        requireNonNull(canonicalPrompt, "canonicalPrompt is null");
        requireNonNull(stop, "stop is null");
        stop = List.copyOf(stop);
        if (promptTokens < 1 || maxTokens < 1) {
            throw new IllegalArgumentException("prompt and max tokens must be >= 1; got " + promptTokens + ", "
                    + maxTokens);
        }
        if (includeUsage && !stream) {
            throw new IllegalArgumentException("include_usage applies to streams only");
        }
    }
}
