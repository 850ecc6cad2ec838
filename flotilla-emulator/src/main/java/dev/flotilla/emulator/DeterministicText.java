package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The emulator's stand-in for a model's output and tokenizer, both deterministic so that the same
 * request always gets the same answer.
 *
 * <p>Text: a {@link SplittableRandom} seeded with the 64-bit FNV-1a hash of the prompt draws
 * sentences of 6 to 16 words from a fixed vocabulary; each word is one token (with its leading
 * space) and each sentence's full stop is another. The natural length is 24 to 279 tokens, drawn
 * from the same seed, so {@code max_tokens} decides between {@code length} and {@code stop}.
 *
 * <p>Prompt tokens: {@code ceil(characters / 4)}, the usual rule of thumb for English with a BPE
 * tokenizer (OpenAI's "a token is about 4 characters"); a chat adds 4 tokens per message and 3 to
 * prime the reply, the overhead of a typical chat template.
 */
public final class DeterministicText {
    /** Chat-template tokens around each message (role header and separators). */
    public static final int TOKENS_PER_MESSAGE = 4;
    /** Chat-template tokens that open the assistant's reply. */
    public static final int REPLY_PRIMING_TOKENS = 3;

    private static final int MIN_LENGTH = 24;
    private static final int LENGTH_SPREAD = 256;
    private static final String[] WORDS = {
        "the", "a", "model", "server", "token", "request", "batch", "memory", "cache", "latency", "throughput",
        "cluster", "market", "price", "capacity", "queue", "response", "stream", "answer", "question", "data",
        "network", "system", "engine", "schedule", "step", "prompt", "context", "window", "kernel", "bandwidth",
        "compute", "is", "was", "can", "will", "should", "may", "runs", "serves", "holds", "moves", "grows",
        "waits", "returns", "measures", "balances", "splits", "of", "in", "on", "with", "for", "to", "from",
        "under", "over", "and", "but", "so", "because", "while", "when", "every", "each", "some", "many",
        "few", "fast", "slow", "large", "small", "steady", "careful", "simple", "useful", "expected", "clear",
        "quiet", "busy", "fair", "cheap", "reliable", "modest", "long", "short", "early", "late", "often",
        "rarely", "together", "alone", "again", "here", "there", "today", "tomorrow", "perhaps", "indeed",
    };

    private DeterministicText() {}

    /** Estimated tokens of a plain prompt: {@code ceil(chars / 4)}, at least 1. */
    public static int promptTokens(String prompt) {
        requireNonNull(prompt, "prompt is null");
        return Math.max(1, (prompt.length() + 3) / 4);
    }

    /** Estimated tokens of a chat: each message's content plus template overhead. */
    public static int chatTokens(List<String> contents) {
        requireNonNull(contents, "contents is null");
        long tokens = REPLY_PRIMING_TOKENS;
        for (String c : contents) {
            tokens += TOKENS_PER_MESSAGE + (c.length() + 3) / 4;
        }
        return (int) Math.min(Integer.MAX_VALUE, tokens);
    }

    /** 64-bit FNV-1a of the UTF-8 bytes: stable across JVMs, unlike {@link String#hashCode()} mixing. */
    public static long seed(String canonicalPrompt) {
        requireNonNull(canonicalPrompt, "canonicalPrompt is null");
        long h = 0xcbf29ce484222325L;
        for (byte b : canonicalPrompt.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** The full answer for {@code seed}, one string per token; concatenated they read as text. */
    public static List<String> tokens(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int length = MIN_LENGTH + random.nextInt(LENGTH_SPREAD);
        List<String> tokens = new ArrayList<>(length);
        int sentenceLeft = 0;
        while (tokens.size() < length) {
            if (sentenceLeft == 0) {
                sentenceLeft = 6 + random.nextInt(11);
                String word = WORDS[random.nextInt(WORDS.length)];
                String capital = Character.toUpperCase(word.charAt(0)) + word.substring(1);
                tokens.add(tokens.isEmpty() ? capital : " " + capital);
            } else {
                tokens.add(" " + WORDS[random.nextInt(WORDS.length)]);
            }
            sentenceLeft--;
            if (sentenceLeft == 0 || tokens.size() == length - 1) {
                tokens.add(".");
                sentenceLeft = 0;
            }
        }
        return List.copyOf(tokens.subList(0, length));
    }

    /**
     * The tokens up to the first stop sequence, which is left out as OpenAI leaves it out; the
     * token in which it begins keeps the text before it. Empty stops are ignored. When the cut
     * leaves nothing, one empty token remains so that the answer still has a final event.
     */
    public static List<String> cutAtStop(List<String> tokens, List<String> stops) {
        requireNonNull(tokens, "tokens is null");
        requireNonNull(stops, "stops is null");
        String text = String.join("", tokens);
        int cut = -1;
        for (String stop : stops) {
            int at = stop.isEmpty() ? -1 : text.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut < 0) {
            return tokens;
        }
        List<String> kept = new ArrayList<>();
        int offset = 0;
        for (String t : tokens) {
            if (offset + t.length() <= cut) {
                kept.add(t);
            } else {
                if (offset < cut) {
                    kept.add(t.substring(0, cut - offset));
                }
                break;
            }
            offset += t.length();
        }
        if (kept.isEmpty()) {
            kept.add("");
        }
        return List.copyOf(kept);
    }
}
