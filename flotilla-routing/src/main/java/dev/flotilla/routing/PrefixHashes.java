package dev.flotilla.routing;

import dev.flotilla.core.FlotillaException;

/**
 * Chained block hashes of a prompt, for {@link RoutingRequest#prefixBlockHashes()}. Hash {@code i}
 * is {@code mix(hash[i-1], block i)}, so it identifies the whole prefix up to and including block
 * {@code i} (the scheme of vLLM's automatic prefix caching). The gateway has no tokenizer, so it
 * cuts the prompt text into blocks of characters; {@link #DEFAULT_BLOCK_CHARS} = 2,048 characters is
 * about 512 tokens at the usual four characters per token. A trailing partial block is hashed
 * too: it still identifies the prefix, only a shorter one. The hash is FNV-1a over UTF-16 code
 * units followed by the SplitMix64 finaliser; it is stable across JVMs and releases.
 */
public final class PrefixHashes {
    public static final int DEFAULT_BLOCK_CHARS = 2048;

    private PrefixHashes() {}

    /** Chained hashes of at most {@code maxBlocks} leading blocks of {@code blockChars} characters. */
    public static long[] ofText(String prompt, int blockChars, int maxBlocks) {
        if (prompt == null) {
            throw FlotillaException.invalid("prompt", "prompt is null");
        }
        if (blockChars <= 0) {
            throw FlotillaException.invalid("block-chars", "block-chars must be positive, got " + blockChars);
        }
        if (maxBlocks <= 0) {
            throw FlotillaException.invalid("max-blocks", "max-blocks must be positive, got " + maxBlocks);
        }
        int blocks = Math.min(maxBlocks, (prompt.length() + blockChars - 1) / blockChars);
        long[] hashes = new long[blocks];
        long parent = 0x9E3779B97F4A7C15L;
        for (int b = 0; b < blocks; b++) {
            long h = 0xCBF29CE484222325L ^ parent;
            int end = Math.min(prompt.length(), (b + 1) * blockChars);
            for (int i = b * blockChars; i < end; i++) {
                h = (h ^ prompt.charAt(i)) * 0x100000001B3L;
            }
            parent = mix64(h);
            hashes[b] = parent;
        }
        return hashes;
    }

    /** SplitMix64's finaliser (Steele, Lea and Flood 2014): a bijective 64-bit avalanche mix. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** 64-bit FNV-1a of a string's UTF-16 code units, then mixed. */
    static long hash(String s) {
        long h = 0xCBF29CE484222325L;
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001B3L;
        }
        return mix64(h);
    }
}
