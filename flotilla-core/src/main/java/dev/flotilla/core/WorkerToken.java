package dev.flotilla.core;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The short-lived credential on the gateway-to-worker hop. The gateway mints one per request; the
 * agent's proxy in front of the worker verifies it before anything reaches the model server, so a
 * worker answers only its own endpoint's traffic, sent by the gateway, recently.
 *
 * <p>Wire form (header {@value #HEADER}): {@code v1.<endpoint>.<worker>.<expires-epoch-s>.<mac>},
 * where {@code mac} is base64url HMAC-SHA256 over everything before it, under the worker's own key.
 * The key is derived from the control plane's signing secret and the worker id
 * ({@link #workerKey}), handed to the worker's agent when it is assigned the worker, and useless
 * for any other worker. Binding endpoint and worker (not a URL) means a token replayed to another
 * worker, or to this worker after it moved to another endpoint, fails.
 */
public final class WorkerToken {
    public static final String HEADER = "X-Flotilla-Worker-Token";
    private static final String VERSION = "v1";
    private static final String ALGORITHM = "HmacSHA256";

    private WorkerToken() {}

    /** Why a token was refused, or that it was accepted. */
    public record Verdict(boolean valid, String reason) {
        static final Verdict OK = new Verdict(true, "valid");

        static Verdict refused(String reason) {
            return new Verdict(false, reason);
        }
    }

    /** The key of {@code workerId}: HMAC-SHA256 of the worker id under the control plane's secret. */
    public static byte[] workerKey(byte[] signingSecret, String workerId) {
        requireNonNull(signingSecret, "signingSecret is null");
        if (signingSecret.length < 16) {
            throw new IllegalArgumentException("the signing secret needs at least 16 bytes, got " + signingSecret.length);
        }
        return hmac(signingSecret, "flotilla-worker-key:" + requireId(workerId, "workerId"));
    }

    /** A token for one request to {@code workerId} of {@code endpointId}, valid until {@code expires}. */
    public static String mint(byte[] workerKey, String endpointId, String workerId, Instant expires) {
        requireNonNull(workerKey, "workerKey is null");
        requireNonNull(expires, "expires is null");
        String payload = VERSION + "." + requireId(endpointId, "endpointId") + "." + requireId(workerId, "workerId") + "."
                + expires.getEpochSecond();
        return payload + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(hmac(workerKey, payload));
    }

    /**
     * Checks {@code token} for this worker: well formed, signed with {@code workerKey}, naming this
     * endpoint and worker, not expired at {@code now}, and not valid for longer than
     * {@code maxLifetime} from now (a token minted far into the future is refused too).
     */
    public static Verdict verify(byte[] workerKey, String token, String endpointId, String workerId, Instant now,
            Duration maxLifetime) {
        requireNonNull(workerKey, "workerKey is null");
        requireNonNull(now, "now is null");
        requireNonNull(maxLifetime, "maxLifetime is null");
        if (token == null || token.isBlank()) {
            return Verdict.refused("missing " + HEADER);
        }
        String[] parts = token.strip().split("\\.", -1);
        if (parts.length != 5 || !parts[0].equals(VERSION)) {
            return Verdict.refused("malformed token: expected v1.<endpoint>.<worker>.<expires>.<mac>");
        }
        byte[] presented;
        try {
            presented = Base64.getUrlDecoder().decode(parts[4]);
        } catch (IllegalArgumentException e) {
            return Verdict.refused("malformed token: the mac is not base64url");
        }
        String payload = parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3];
        // Constant-time comparison: the mac must not leak through timing.
        if (!MessageDigest.isEqual(presented, hmac(workerKey, payload))) {
            return Verdict.refused("bad signature");
        }
        if (!parts[1].equals(endpointId) || !parts[2].equals(workerId)) {
            return Verdict.refused("token is for endpoint " + parts[1] + " worker " + parts[2] + ", not endpoint "
                    + endpointId + " worker " + workerId);
        }
        long expires;
        try {
            expires = Long.parseLong(parts[3]);
        } catch (NumberFormatException e) {
            return Verdict.refused("malformed token: expiry is not a number");
        }
        if (expires <= now.getEpochSecond()) {
            return Verdict.refused("token expired at " + Instant.ofEpochSecond(expires));
        }
        if (expires > now.plus(maxLifetime).getEpochSecond()) {
            return Verdict.refused("token lives longer than the allowed " + maxLifetime.toSeconds() + " s");
        }
        return Verdict.OK;
    }

    private static String requireId(String id, String name) {
        requireNonNull(id, name + " is null");
        if (id.isEmpty() || id.indexOf('.') >= 0) {
            throw new IllegalArgumentException(name + " must be non-empty without '.', got '" + id + "'");
        }
        return id;
    }

    private static byte[] hmac(byte[] key, String text) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            // HmacSHA256 is required of every Java platform
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
