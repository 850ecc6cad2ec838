package dev.flotilla.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * API keys and host tokens: {@code flt_<keyId>_<secret>}, 64 random bits of id and 256 of secret.
 * Only the SHA-256 of the secret is stored. A fast hash is enough here because the secret is
 * random and long: there is nothing to brute-force that a slow hash would protect.
 */
public final class ApiKeys {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private ApiKeys() {}

    /** A newly minted key; {@code full} is shown once and never stored. */
    public record NewKey(String keyId, String secretSha256, String full) {}

    /** A presented key split into its parts. */
    public record Presented(String keyId, String secret) {}

    public static NewKey mint() {
        byte[] id = new byte[8];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(secret);
        String keyId = HEX.formatHex(id);
        String s = HEX.formatHex(secret);
        return new NewKey(keyId, sha256(s), "flt_" + keyId + "_" + s);
    }

    public static Optional<Presented> parse(String key) {
        if (key == null) {
            return Optional.empty();
        }
        String[] parts = key.trim().split("_");
        if (parts.length != 3 || !parts[0].equals("flt") || parts[1].length() != 16 || parts[2].length() != 64) {
            return Optional.empty();
        }
        return Optional.of(new Presented(parts[1], parts[2]));
    }

    public static String sha256(String s) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Constant-time comparison of two hex digests. */
    public static boolean matches(String presentedSecret, String storedSha256) {
        return MessageDigest.isEqual(sha256(presentedSecret).getBytes(StandardCharsets.US_ASCII),
                storedSha256.getBytes(StandardCharsets.US_ASCII));
    }
}
