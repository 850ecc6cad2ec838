package dev.flotilla.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.traces.TraceRequest;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Turns a trace request into the body of an OpenAI API call: a prompt of about the request's input
 * tokens and {@code max_tokens} of its output tokens, both capped.
 *
 * <p>The prompt is made of common four-character words with a leading space ({@code " the"},
 * {@code " and"}, ...): one token each in the BPE vocabularies of Llama-class models, and exactly
 * one in the {@code ceil(chars / 4)} estimate of Flotilla's gateway and engine emulator, so that
 * {@code n} words are about {@code n} tokens everywhere (a chat template adds a few). The words are
 * drawn from a seed per request, so that prompts differ from their first token and no server can
 * answer from a prefix cache what the trace did not share. For traces that record prefix sharing
 * (Mooncake's {@code hash_ids}, one per 512-token block), each block is drawn from its hash id
 * instead: requests that share blocks in the trace share the same text here.
 */
final class LoadRequests {
    /** The API called; its path under the base URL. */
    enum Api {
        CHAT("chat/completions"), COMPLETIONS("completions"), EMBEDDINGS("embeddings");

        final String path;

        Api(String path) {
            this.path = path;
        }

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        static String accepted() {
            return String.join(", ", Arrays.stream(values()).map(Api::wireName).toList());
        }
    }

    /** Mooncake's block size: one hash id per this many prompt tokens. */
    static final int BLOCK_TOKENS = 512;

    private static final List<String> WORDS = List.of(" the", " and", " for", " you", " not", " are", " but", " all", " can",
            " one", " has", " was", " his", " her", " out", " new", " now", " way", " may", " day", " any", " two", " see",
            " use", " get", " how", " its", " our", " who", " did", " yes", " man");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Api api;
    private final String model;
    private final boolean stream;
    private final int maxPromptTokens;
    private final int maxTokensCap;
    private final long seed;

    LoadRequests(Api api, String model, boolean stream, int maxPromptTokens, int maxTokensCap, long seed) {
        this.api = requireNonNull(api, "api is null");
        this.model = requireNonNull(model, "model is null");
        if (stream && api == Api.EMBEDDINGS) {
            throw new IllegalArgumentException("embeddings do not stream");
        }
        if (maxPromptTokens < 1 || maxTokensCap < 1) {
            throw new IllegalArgumentException("caps must be >= 1, got " + maxPromptTokens + ", " + maxTokensCap);
        }
        this.stream = stream;
        this.maxPromptTokens = maxPromptTokens;
        this.maxTokensCap = maxTokensCap;
        this.seed = seed;
    }

    Api api() {
        return api;
    }

    boolean stream() {
        return stream;
    }

    /** Prompt tokens sent for {@code r}: its input tokens within 1..the cap. */
    int promptTokens(TraceRequest r) {
        return Math.clamp(r.inputTokens(), 1, maxPromptTokens);
    }

    /** {@code max_tokens} sent for {@code r}: its output tokens within 1..the cap. */
    int maxTokens(TraceRequest r) {
        return Math.clamp(r.outputTokens(), 1, maxTokensCap);
    }

    /** The JSON body for the {@code index}-th replayed request. */
    byte[] body(long index, TraceRequest r) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        String prompt = prompt(index, r);
        switch (api) {
            case CHAT -> body.putArray("messages").addObject().put("role", "user").put("content", prompt);
            case COMPLETIONS -> body.put("prompt", prompt);
            case EMBEDDINGS -> body.put("input", prompt);
        }
        if (api != Api.EMBEDDINGS) {
            body.put("max_tokens", maxTokens(r));
            if (stream) {
                body.put("stream", true);
                body.putObject("stream_options").put("include_usage", true);
            }
        }
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always serialises", e);
        }
    }

    /** About {@link #promptTokens} tokens of words, 4 characters a token. */
    String prompt(long index, TraceRequest r) {
        int tokens = promptTokens(r);
        StringBuilder b = new StringBuilder(tokens * 4);
        int blocks = r.prefixBlockCount();
        if (blocks > 0) {
            long[] hashes = r.prefixBlockHashes();
            for (int i = 0; i < blocks && b.length() < tokens * 4; i++) {
                words(b, mix(hashes[i] ^ 0x6d6f6f6e63616b65L), Math.min(BLOCK_TOKENS, tokens - b.length() / 4));
            }
        }
        if (b.length() < tokens * 4) {
            words(b, mix(seed * 0x9e3779b97f4a7c15L + index), tokens - b.length() / 4);
        }
        return b.toString();
    }

    private static void words(StringBuilder b, long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b.append(WORDS.get(random.nextInt(WORDS.size())));
        }
    }

    /** SplitMix64's finaliser: neighbouring seeds give unrelated streams. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
