package dev.flotilla.embeddings;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** How vectors go on the wire, as OpenAI's {@code encoding_format} names them. */
public enum EncodingFormat {
    /** A JSON array of numbers. */
    FLOAT,
    /** Base64 of the vector as little-endian IEEE-754 float32, as OpenAI sends it. */
    BASE64;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<EncodingFormat> fromWire(String name) {
        return Arrays.stream(values()).filter(f -> f.wireName().equals(name)).findFirst();
    }
}
