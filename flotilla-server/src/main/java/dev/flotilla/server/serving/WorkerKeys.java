package dev.flotilla.server.serving;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.WorkerToken;
import dev.flotilla.gateway.HopSigner;
import dev.flotilla.gateway.TokenSigner;
import dev.flotilla.store.Database;
import dev.flotilla.store.SettingsRepo;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The keys of the gateway-to-worker hop. One signing secret per control plane, kept in the
 * database so every replica signs alike; each worker's key derives from it and the worker id
 * ({@link WorkerToken#workerKey}), is handed to the worker's agent with the assignment, and is
 * useless for any other worker. Tokens live {@link #TOKEN_LIFETIME}: long enough for clock skew
 * between control plane and host, short enough that a leaked one expires soon.
 */
public final class WorkerKeys implements HopSigner {
    static final String SECRET_SETTING = "worker-signing-secret";
    static final Duration TOKEN_LIFETIME = Duration.ofSeconds(60);
    /** A token is handed out again for this long, so signing costs one HMAC per worker per 10 s. */
    static final Duration TOKEN_REUSE = Duration.ofSeconds(10);

    private final byte[] secret;
    private final Map<String, byte[]> keys = new ConcurrentHashMap<>();
    private final TokenSigner signer;

    WorkerKeys(byte[] secret, InstantSource clock) {
        this.secret = requireNonNull(secret, "secret is null").clone();
        this.signer = new TokenSigner(this::keyOf, requireNonNull(clock, "clock is null"), TOKEN_LIFETIME, TOKEN_REUSE);
    }

    /** The control plane's keys, creating its secret on the first start of the database. */
    public static WorkerKeys load(Database db, InstantSource clock) {
        SettingsRepo settings = new SettingsRepo();
        String encoded;
        try {
            encoded = db.inTransaction(c -> settings.getOrCreate(c, SECRET_SETTING, WorkerKeys::newSecret));
        } catch (RuntimeException e) {
            // another replica created it first: read theirs
            encoded = db.inTransaction(c -> settings.get(c, SECRET_SETTING)).orElseThrow(() -> e);
        }
        return new WorkerKeys(Base64.getUrlDecoder().decode(encoded), clock);
    }

    private static String newSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The worker's key as its agent receives it: base64url without padding. */
    public String encodedKeyOf(long workerId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(keyOf(Long.toString(workerId)));
    }

    private byte[] keyOf(String workerId) {
        return keys.computeIfAbsent(workerId, id -> WorkerToken.workerKey(secret, id));
    }

    @Override
    public Optional<String> sign(String endpointId, String workerId) {
        return signer.sign(endpointId, workerId);
    }
}
