package dev.flotilla.embeddings;

import static java.util.Objects.requireNonNull;

/**
 * One input after tokenization, with the model's special tokens ({@code [CLS]} and {@code [SEP]})
 * already added. The arrays are not copied: a tokenized text is made by {@link EmbeddingModel}
 * and handed straight to the batcher, and copying 512-long arrays per input buys nothing there.
 */
public record TokenizedText(long[] ids, long[] typeIds) {
    public TokenizedText {
        requireNonNull(ids, "ids is null");
        requireNonNull(typeIds, "typeIds is null");
        if (ids.length == 0) {
            throw new IllegalArgumentException("ids is empty: a tokenized text has at least [CLS] and [SEP]");
        }
        if (ids.length != typeIds.length) {
            throw new IllegalArgumentException(
                    "ids has " + ids.length + " tokens but typeIds has " + typeIds.length);
        }
    }

    /** Tokens the model reads for this text, special tokens included: what usage reports. */
    public int tokenCount() {
        return ids.length;
    }
}
