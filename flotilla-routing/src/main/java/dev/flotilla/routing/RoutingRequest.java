package dev.flotilla.routing;

import dev.flotilla.core.FlotillaException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a router needs to know about one request.
 *
 * <p>The prompt prefix is given as <em>chained block hashes</em>: the prompt is cut into fixed
 * blocks (512 tokens, or about 2,048 characters when the gateway has no tokenizer; see {@link
 * PrefixHashes}) and hash {@code i} covers blocks {@code 0..i}, the way vLLM's automatic prefix
 * caching keys its KV blocks. Two prompts that share their first {@code k} blocks therefore share
 * their first {@code k} hashes, which is what prefix affinity keys on. An empty array means "no
 * prefix known"; prefix affinity then falls back to least load.
 *
 * @param endpointId the endpoint the request is for; workers of other endpoints are never chosen
 * @param prefixBlockHashes chained hashes of the prompt's leading blocks (copied)
 * @param callerRegion the caller's region, or {@code null}; read it through {@link #region()}
 * @param excludedWorkers workers already tried for this request (retries); copied
 */
public record RoutingRequest(
        String endpointId, long[] prefixBlockHashes, String callerRegion, Set<String> excludedWorkers) {

    private static final long[] NO_PREFIX = new long[0];

    public RoutingRequest {
        WorkerState.requireNonBlank(endpointId, "endpoint-id");
        prefixBlockHashes = prefixBlockHashes == null ? NO_PREFIX : prefixBlockHashes.clone();
        if (callerRegion != null && callerRegion.isBlank()) {
            throw FlotillaException.invalid("caller-region", "caller-region must be non-blank when given, got '" + callerRegion + "'");
        }
        excludedWorkers = excludedWorkers == null ? Set.of() : Set.copyOf(excludedWorkers);
    }

    /** A request for {@code endpointId} with no prefix, no region and no exclusions. */
    public static RoutingRequest of(String endpointId) {
        return new RoutingRequest(endpointId, NO_PREFIX, null, Set.of());
    }

    public RoutingRequest withPrefix(long... blockHashes) {
        return new RoutingRequest(endpointId, blockHashes, callerRegion, excludedWorkers);
    }

    public RoutingRequest withCallerRegion(String region) {
        return new RoutingRequest(endpointId, prefixBlockHashes, region, excludedWorkers);
    }

    /** This request with {@code workerIds} added to the exclusions, e.g. after a failed attempt. */
    public RoutingRequest excluding(String... workerIds) {
        Set<String> all = new HashSet<>(excludedWorkers);
        all.addAll(List.of(workerIds));
        return new RoutingRequest(endpointId, prefixBlockHashes, callerRegion, all);
    }

    @Override
    public long[] prefixBlockHashes() {
        return prefixBlockHashes.clone();
    }

    public Optional<String> region() {
        return Optional.ofNullable(callerRegion);
    }

    /**
     * The affinity key: the chained hash of the first {@code blocks} blocks (or of all of them when
     * the prompt is shorter); empty when the request has no prefix.
     */
    public Optional<Long> prefixKey(int blocks) {
        if (prefixBlockHashes.length == 0) {
            return Optional.empty();
        }
        return Optional.of(prefixBlockHashes[Math.min(blocks, prefixBlockHashes.length) - 1]);
    }

    /** Whether {@code worker} may take this request: same endpoint, READY, not excluded. */
    public boolean canUse(WorkerState worker) {
        return worker.routable()
                && worker.endpointId().equals(endpointId)
                && !excludedWorkers.contains(worker.workerId());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RoutingRequest r
                && endpointId.equals(r.endpointId)
                && Arrays.equals(prefixBlockHashes, r.prefixBlockHashes)
                && java.util.Objects.equals(callerRegion, r.callerRegion)
                && excludedWorkers.equals(r.excludedWorkers);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(endpointId, Arrays.hashCode(prefixBlockHashes), callerRegion, excludedWorkers);
    }

    @Override
    public String toString() {
        return "RoutingRequest[endpointId=" + endpointId + ", prefixBlocks=" + prefixBlockHashes.length
                + ", callerRegion=" + callerRegion + ", excludedWorkers=" + excludedWorkers + "]";
    }
}
