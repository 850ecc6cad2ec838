package dev.flotilla.gateway;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.WorkerToken;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A {@link HopSigner} that mints {@link WorkerToken}s valid for {@code lifetime} and reuses each
 * worker's token until less than {@code lifetime - reuse} of it is left, so the request path costs
 * a map lookup rather than an HMAC (a token is a bearer credential for its lifetime either way).
 */
public final class TokenSigner implements HopSigner {
    private record Minted(String token, Instant renewAfter) {}

    private final Function<String, byte[]> keyOf;
    private final InstantSource clock;
    private final Duration lifetime;
    private final Duration reuse;
    private final Map<String, Minted> tokens = new ConcurrentHashMap<>();

    /**
     * @param keyOf the worker's key by worker id
     * @param lifetime how long a minted token is valid
     * @param reuse how long a minted token is handed out again; less than {@code lifetime}
     */
    public TokenSigner(Function<String, byte[]> keyOf, InstantSource clock, Duration lifetime, Duration reuse) {
        this.keyOf = requireNonNull(keyOf, "keyOf is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.lifetime = requireNonNull(lifetime, "lifetime is null");
        this.reuse = requireNonNull(reuse, "reuse is null");
        if (reuse.isNegative() || reuse.compareTo(lifetime) >= 0) {
            throw new IllegalArgumentException("reuse must be >= 0 and shorter than lifetime " + lifetime + ", got " + reuse);
        }
    }

    @Override
    public Optional<String> sign(String endpointId, String workerId) {
        Instant now = clock.instant();
        String cacheKey = endpointId + "." + workerId;
        Minted m = tokens.get(cacheKey);
        if (m == null || !now.isBefore(m.renewAfter())) {
            m = new Minted(WorkerToken.mint(keyOf.apply(workerId), endpointId, workerId, now.plus(lifetime)), now.plus(reuse));
            tokens.put(cacheKey, m);
        }
        return Optional.of(m.token());
    }
}
