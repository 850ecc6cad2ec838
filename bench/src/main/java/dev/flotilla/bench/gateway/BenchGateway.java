package dev.flotilla.bench.gateway;

import dev.flotilla.core.WorkerToken;
import dev.flotilla.gateway.Caller;
import dev.flotilla.gateway.EndpointView;
import dev.flotilla.gateway.Gateway;
import dev.flotilla.gateway.GatewayConfig;
import dev.flotilla.gateway.HopSigner;
import dev.flotilla.gateway.TokenSigner;
import dev.flotilla.gateway.WorkerDirectory;
import dev.flotilla.routing.RateLimit;
import dev.flotilla.routing.WorkerState;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway under test, wired as the control plane wires it, with everything on: an API key
 * resolved to its tenant (in-memory credentials), one endpoint ({@code least-load}, 30 s queue
 * time, 4096 queue places) with one ready worker at the fast upstream, a rate limit far above what
 * the benchmark sends (so it is checked on every request but never denies), a
 * {@link WorkerToken} minted per request, and usage enqueued to a {@link UsageMeter}. The worker's
 * capacity (1024) is above any connection count used, so admission never queues.
 */
final class BenchGateway implements AutoCloseable {
    static final String API_KEY = "sk-bench-0123456789abcdef";
    static final String TENANT = "bench-tenant";
    static final String ENDPOINT = "ep-bench";
    static final String WORKER = "w-bench-1";
    private static final byte[] SIGNING_SECRET = "flotilla-bench-signing-secret-0123".getBytes(StandardCharsets.UTF_8);
    private static final long HUGE = RateLimit.MAX;

    private final UsageMeter usage = new UsageMeter();
    private final Gateway gateway;

    BenchGateway(URI upstream) {
        EndpointView view = new EndpointView(ENDPOINT, FastUpstream.MODEL, "least-load", Duration.ofSeconds(30), 4096,
                List.of(WorkerState.ready(WORKER, ENDPOINT, "local", 1024)), Map.of(WORKER, upstream));
        Optional<EndpointView> found = Optional.of(view);
        WorkerDirectory directory = new WorkerDirectory() {
            @Override
            public Optional<EndpointView> endpoint(String tenantId, String model) {
                return tenantId.equals(TENANT) && model.equals(view.model()) ? found : Optional.empty();
            }

            @Override
            public List<String> models(String tenantId) {
                return tenantId.equals(TENANT) ? List.of(view.model()) : List.of();
            }
        };
        Map<String, Caller> keys = Map.of(API_KEY, new Caller(TENANT, "bench key"));
        InstantSource clock = InstantSource.system();
        // As the control plane signs (WorkerKeys): each worker's key derived once, a 60 s token reused for 10 s.
        Map<String, byte[]> workerKeys = new ConcurrentHashMap<>();
        HopSigner signer = new TokenSigner(w -> workerKeys.computeIfAbsent(w, k -> WorkerToken.workerKey(SIGNING_SECRET, k)),
                clock, java.time.Duration.ofSeconds(60), java.time.Duration.ofSeconds(10));
        try {
            gateway = Gateway.start(GatewayConfig.defaults().withRateLimits(RateLimit.perMinute(HUGE, HUGE), Map.of()),
                    key -> Optional.ofNullable(keys.get(key)), directory, usage, signer, clock);
        } catch (RuntimeException e) {
            usage.close();
            throw e;
        }
    }

    int port() {
        return gateway.port();
    }

    UsageMeter.Totals usage() {
        return usage.totals();
    }

    @Override
    public void close() {
        try {
            gateway.close();
        } finally {
            usage.close();
        }
    }
}
