package dev.flotilla.gateway;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.WorkerToken;
import dev.flotilla.routing.Admission;
import dev.flotilla.routing.AdmissionQueue;
import dev.flotilla.routing.AdmissionSettings;
import dev.flotilla.routing.PrefixHashes;
import dev.flotilla.routing.RateDecision;
import dev.flotilla.routing.RateLimiter;
import dev.flotilla.routing.Router;
import dev.flotilla.routing.RouterSettings;
import dev.flotilla.routing.Routers;
import dev.flotilla.routing.RoutingDecision;
import dev.flotilla.routing.RoutingRequest;
import dev.flotilla.routing.WorkerState;
import dev.flotilla.routing.WorkerStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible gateway: {@code /v1/chat/completions}, {@code /v1/completions},
 * {@code /v1/embeddings} and {@code /v1/models}, proxied to the workers of the caller's endpoint.
 * Per request: API key → tenant ({@link Credentials}); {@code model} → endpoint
 * ({@link WorkerDirectory}); per-tenant {@link RateLimiter} (429 + Retry-After); per-endpoint
 * {@link AdmissionQueue} (wait for a slot; 429 when full, 503 at the deadline); {@link Router} of the
 * endpoint's strategy; proxy with the body unchanged, SSE passed through chunk by chunk; a request
 * that has sent nothing to its client is retried on another worker; usage to {@link UsageSink}.
 *
 * <p>Each request is handled on its connection's Vert.x context from start to end, so each response
 * has exactly one writer and chunks keep the worker's order; the upstream request is made on the
 * same context. Shared state (queues, limiter, in-flight counts) is thread-safe.
 *
 * <pre>{@code
 * try (Gateway g = Gateway.start(GatewayConfig.defaults().withPort(8080), credentials, directory, usage::add,
 *         signer, InstantSource.system())) {
 *     // curl -H 'Authorization: Bearer sk-...' localhost:8080/v1/models
 * }
 * }</pre>
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** How often endpoints with waiting requests re-read their capacity (cold start, scale-up). */
    private static final long CAPACITY_TICK_MS = 25;
    /** A caller's region for the {@code region} router, e.g. {@code DE}. */
    static final String REGION_HEADER = "X-Flotilla-Region";
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding",
            "content-length", "upgrade", "proxy-connection", "te", "trailer");

    private final GatewayConfig config;
    private final Credentials credentials;
    private final WorkerDirectory directory;
    private final UsageSink usageSink;
    private final HopSigner signer;
    private final InstantSource clock;
    private final RateLimiter limiter;
    private final RouterSettings routerSettings;
    private final Vertx vertx;
    private final int port;
    private final long tickTimer;
    private final Map<String, EndpointState> endpoints = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile java.util.function.Consumer<String> coldListener = endpointId -> {};

    private Gateway(GatewayConfig config, Credentials credentials, WorkerDirectory directory, UsageSink usageSink,
            HopSigner signer, InstantSource clock) {
        this.config = requireNonNull(config, "config is null");
        this.credentials = requireNonNull(credentials, "credentials is null");
        this.directory = requireNonNull(directory, "directory is null");
        this.usageSink = requireNonNull(usageSink, "usageSink is null");
        this.signer = requireNonNull(signer, "signer is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.limiter = new RateLimiter(config.defaultRateLimit(), config.tenantRateLimits());
        this.routerSettings = config.region().isBlank() ? RouterSettings.defaults()
                : RouterSettings.defaults().withGatewayRegion(config.region());
        this.vertx = Vertx.vertx();
        try {
            // One server and one upstream client per event loop, sharing the port (Vert.x spreads
            // connections over them): a single server would put every connection on one thread.
            // A negative port is Vert.x's "random port, shared by every server given the same value".
            int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
            int listen = config.port() == 0 ? -1 : config.port();
            Loop first = new Loop(listen);
            vertx.deployVerticle(first).await();
            this.port = first.server.actualPort();
            for (int i = 1; i < loops; i++) {
                vertx.deployVerticle(new Loop(listen)).await();
            }
            this.tickTimer = vertx.setPeriodic(CAPACITY_TICK_MS, id -> tick());
        } catch (RuntimeException e) {
            vertx.close().await();
            throw e;
        }
    }

    /** One event loop's server and its own client to the workers. */
    private final class Loop extends VerticleBase {
        private final int listenPort;
        private HttpServer server;

        Loop(int listenPort) {
            this.listenPort = listenPort;
        }

        @Override
        public Future<?> start() {
            HttpClient client = vertx.createHttpClient(new HttpClientOptions()
                            .setKeepAlive(true)
                            .setConnectTimeout((int) config.connectTimeout().toMillis()),
                    new PoolOptions().setHttp1MaxSize(1024));
            return vertx.createHttpServer().requestHandler(router(client)).listen(listenPort, config.host())
                    .onSuccess(s -> server = s);
        }
    }

    /** Starts a gateway and returns once it listens. */
    public static Gateway start(GatewayConfig config, Credentials credentials, WorkerDirectory directory,
            UsageSink usageSink, HopSigner signer, InstantSource clock) {
        return new Gateway(config, credentials, directory, usageSink, signer, clock);
    }

    /** The port it listens on. */
    public int port() {
        return port;
    }

    /** Requests the gateway has in flight on {@code workerId} now. */
    public int inFlight(String workerId) {
        AtomicInteger n = inFlight.get(workerId);
        return n == null ? 0 : n.get();
    }

    /**
     * What each endpoint has seen since this gateway started, by endpoint id: the autoscaler
     * samples it every few seconds and differences the counters. Endpoints that have had no
     * request yet are absent (nothing arrived, nothing in flight).
     */
    public Map<String, EndpointLoad> load() {
        Map<String, EndpointLoad> out = new java.util.HashMap<>();
        endpoints.forEach((id, ep) -> out.put(id, new EndpointLoad(ep.arrivals.sum(), ep.tokens.sum(),
                ep.queue.inServiceCount(), ep.queue.waitingCount(), ep.completed.sum())));
        return out;
    }

    /**
     * Tells {@code listener} (on an event-loop thread: it must not block) when a request queues at
     * an endpoint with no ready worker, at most once a second per endpoint: the autoscaler's cue to
     * wake a scaled-to-zero endpoint now rather than at its next pass (Knative's activator pokes
     * its autoscaler the same way).
     */
    public void onColdStart(java.util.function.Consumer<String> listener) {
        this.coldListener = requireNonNull(listener, "listener is null");
    }

    /** Requests waiting in {@code endpointId}'s admission queue now. */
    int waiting(String endpointId) {
        EndpointState ep = endpoints.get(endpointId);
        return ep == null ? 0 : ep.waiting.size();
    }

    @Override
    public void close() {
        vertx.cancelTimer(tickTimer);
        vertx.close().await(); // undeploys the loops: their servers and clients close
    }

    private io.vertx.ext.web.Router router(HttpClient client) {
        io.vertx.ext.web.Router router = io.vertx.ext.web.Router.router(vertx);
        router.post().handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()));
        router.get("/v1/models").handler(this::models);
        for (String path : List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings")) {
            router.post(path).handler(ctx -> proxy(ctx, path, client));
        }
        router.route().last().handler(ctx -> new OpenAiError(404, "invalid_request_error", null, "not_found",
                "no route " + ctx.request().method() + " " + ctx.request().path()
                        + "; accepted: GET /v1/models, POST /v1/chat/completions, /v1/completions, /v1/embeddings", 0)
                .send(ctx.response()));
        router.route().failureHandler(this::failure);
        return router;
    }

    private void failure(RoutingContext ctx) {
        OpenAiError error;
        if (ctx.failure() instanceof GatewayException e) {
            error = e.error();
        } else if (ctx.statusCode() == 413) {
            error = new OpenAiError(413, "invalid_request_error", null, "request_too_large",
                    "the request body exceeds " + config.maxBodyBytes() + " bytes", 0);
        } else if (ctx.statusCode() == 405) {
            error = new OpenAiError(405, "invalid_request_error", null, "method_not_allowed",
                    "method " + ctx.request().method() + " is not allowed on " + ctx.request().path(), 0);
        } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
            error = new OpenAiError(ctx.statusCode(), "invalid_request_error", null, null,
                    "the request was refused (HTTP " + ctx.statusCode() + ")", 0);
        } else {
            LOG.error("request failed", ctx.failure());
            error = new OpenAiError(500, "server_error", null, null, "internal error in the gateway", 0);
        }
        error.send(ctx.response());
    }

    private Caller authenticate(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            throw new GatewayException(new OpenAiError(401, "authentication_error", null, "missing_api_key",
                    "missing API key: send 'Authorization: Bearer <key>'", 0));
        }
        return credentials.authenticate(header.substring(7).strip()).orElseThrow(() -> new GatewayException(
                new OpenAiError(401, "authentication_error", null, "invalid_api_key",
                        "the API key is not valid", 0)));
    }

    private void models(RoutingContext ctx) {
        Caller caller;
        try {
            caller = authenticate(ctx);
        } catch (GatewayException e) {
            e.error().send(ctx.response());
            return;
        }
        ObjectNode body = MAPPER.createObjectNode().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (String model : directory.models(caller.tenantId())) {
            data.addObject().put("id", model).put("object", "model").put("created", 0).put("owned_by", "flotilla");
        }
        ctx.response().putHeader("Content-Type", "application/json").end(body.toString());
    }

    private void proxy(RoutingContext ctx, String path, HttpClient client) {
        try {
            Caller caller = authenticate(ctx);
            Buffer body = ctx.body().buffer();
            ParsedRequest parsed = ParsedRequest.parse(body);
            EndpointView view = directory.endpoint(caller.tenantId(), parsed.model()).orElseThrow(() ->
                    new GatewayException(new OpenAiError(404, "invalid_request_error", "model", "model_not_found",
                            "the model '" + parsed.model() + "' does not exist or you do not have access to it; "
                                    + "available: " + directory.models(caller.tenantId()), 0)));
            Exchange exchange = new Exchange(ctx, path, caller, parsed, view, body, client);
            exchange.start();
        } catch (GatewayException e) {
            e.error().send(ctx.response());
        }
    }

    private EndpointState endpointState(EndpointView view) {
        EndpointState state = endpoints.computeIfAbsent(view.endpointId(), id -> new EndpointState(view, routerSettings));
        state.refresh(view);
        return state;
    }

    private void tick() {
        for (EndpointState ep : endpoints.values()) {
            if (!ep.waiting.isEmpty()) {
                ep.lastTenant.flatMap(t -> directory.endpoint(t, ep.model)).ifPresent(ep::refresh);
                pump(ep);
            }
        }
    }

    /** Hands freed slots to waiting requests and answers expired ones, each on its own context. */
    private void pump(EndpointState ep) {
        Instant now = clock.instant();
        for (AdmissionQueue.Expired expired : ep.queue.expire(now)) {
            Exchange ex = ep.waiting.remove(expired.waiter().requestId());
            if (ex != null) {
                ex.context.runOnContext(v -> ex.expired(expired));
            }
        }
        while (true) {
            Optional<AdmissionQueue.Waiter> next = ep.queue.poll(now);
            if (next.isEmpty()) {
                return;
            }
            Exchange ex = ep.waiting.remove(next.get().requestId());
            if (ex == null) {
                ep.queue.release(next.get().requestId(), now);
                continue;
            }
            ex.context.runOnContext(v -> ex.admitted());
        }
    }

    private static int slots(EndpointView view) {
        int slots = 0;
        for (WorkerState w : view.workers()) {
            if (w.status() == WorkerStatus.READY) {
                slots += Math.max(1, (int) Math.floor(w.capacity()));
            }
        }
        return slots;
    }

    /** Per-endpoint state the gateway keeps: its admission queue, router and waiting requests. */
    private static final class EndpointState {
        final String model;
        final AdmissionQueue queue;
        final RouterSettings routerSettings;
        final Map<String, Exchange> waiting = new ConcurrentHashMap<>();
        /** Requests that reached this endpoint, admitted or not (the autoscaler's arrivals). */
        final java.util.concurrent.atomic.LongAdder arrivals = new java.util.concurrent.atomic.LongAdder();
        /** Prompt plus completion tokens of finished requests. */
        final java.util.concurrent.atomic.LongAdder tokens = new java.util.concurrent.atomic.LongAdder();
        /** Admitted requests that finished, whatever their status (the workers' observed throughput). */
        final java.util.concurrent.atomic.LongAdder completed = new java.util.concurrent.atomic.LongAdder();
        /** When the cold-start listener was last told about this endpoint, epoch ms. */
        final AtomicLong lastColdCue = new AtomicLong(Long.MIN_VALUE / 2);
        volatile Router router;
        volatile Optional<String> lastTenant = Optional.empty();

        EndpointState(EndpointView view, RouterSettings routerSettings) {
            this.model = view.model();
            this.routerSettings = routerSettings;
            this.queue = new AdmissionQueue(view.endpointId(),
                    AdmissionSettings.of(view.maxQueueLength(), view.maxQueueTime()), slots(view));
            this.router = routerOf(view.routingStrategy());
        }

        void refresh(EndpointView view) {
            queue.setCapacity(slots(view));
            if (!router.name().equals(view.routingStrategy())) {
                router = routerOf(view.routingStrategy());
            }
        }

        private Router routerOf(String strategy) {
            try {
                return Routers.of(strategy, routerSettings, new SplittableRandom());
            } catch (FlotillaException e) {
                LOG.warn("endpoint uses an unknown routing strategy, using {}: {}", Routers.DEFAULT, e.getMessage());
                return Routers.of(Routers.DEFAULT, routerSettings, new SplittableRandom());
            }
        }
    }

    /**
     * One client request from admission to its end. Every method runs on {@link #context}, the
     * client connection's context, so the fields need no locks and the response has one writer.
     */
    private final class Exchange {
        final RoutingContext ctx;
        final HttpServerResponse response;
        final Context context;
        final String path;
        final Caller caller;
        final ParsedRequest parsed;
        final Buffer body;
        final HttpClient client;
        final String requestId;
        final EndpointState ep;
        final String endpointId;
        final Set<String> tried = new HashSet<>();
        long reservedTokens;
        RoutingRequest routing;
        boolean admitted;
        boolean finished;
        boolean clientGone;
        boolean committed;
        int attempts;
        String worker;
        long workerStartNanos;
        HttpClientRequest upstream;
        Buffer pending;
        String lastFailure = "no worker answered";

        Exchange(RoutingContext ctx, String path, Caller caller, ParsedRequest parsed, EndpointView view, Buffer body,
                HttpClient client) {
            this.ctx = ctx;
            this.response = ctx.response();
            this.context = vertx.getOrCreateContext();
            this.path = path;
            this.caller = caller;
            this.parsed = parsed;
            this.body = body;
            this.client = client;
            this.requestId = "req-" + ids.incrementAndGet();
            this.endpointId = view.endpointId();
            this.ep = endpointState(view);
            ep.lastTenant = Optional.of(caller.tenantId());
            long[] prefix = parsed.promptText().isEmpty()
                    ? new long[0]
                    : PrefixHashes.ofText(parsed.promptText(), PrefixHashes.DEFAULT_BLOCK_CHARS, 4);
            RoutingRequest r = RoutingRequest.of(endpointId).withPrefix(prefix);
            // The caller may name its region; the region router falls back to the gateway's own.
            String region = ctx.request().getHeader(REGION_HEADER);
            this.routing = region == null || region.isBlank() ? r : r.withCallerRegion(region.strip());
        }

        void start() {
            ep.arrivals.increment();
            response.putHeader("X-Request-Id", requestId);
            response.closeHandler(v -> clientGone());
            Instant now = clock.instant();
            long tokenBurst = limiter.limitOf(caller.tenantId()).tokenBurst();
            long completion = parsed.maxTokens() > 0
                    ? parsed.maxTokens()
                    : Math.max(0, Math.min(config.defaultMaxTokens(), tokenBurst - parsed.promptTokens()));
            reservedTokens = parsed.promptTokens() + completion;
            RateDecision decision;
            try {
                decision = limiter.tryAcquire(caller.tenantId(), 1, reservedTokens, now);
            } catch (FlotillaException e) {
                throw new GatewayException(OpenAiError.invalid(parsed.maxTokens() > 0 ? "max_tokens" : "messages",
                        "tokens_exceed_limit", "the request needs up to " + reservedTokens
                                + " tokens (prompt estimate plus max_tokens), more than your token burst of "
                                + tokenBurst + "; lower max_tokens or the prompt"));
            }
            if (decision instanceof RateDecision.Denied denied) {
                throw new GatewayException(new OpenAiError(429, "rate_limit_error", null, "rate_limit_exceeded",
                        "rate limit reached for " + denied.limit() + "; retry after " + denied.retryAfterSeconds() + " s",
                        denied.retryAfterSeconds()));
            }
            // Registered before offering, so a pump on another thread never polls an unknown waiter.
            ep.waiting.put(requestId, this);
            Admission admission = ep.queue.offer(requestId, now);
            switch (admission) {
                case Admission.Admitted a -> {
                    ep.waiting.remove(requestId);
                    admitted();
                }
                case Admission.Queued q -> {
                    long ms = Math.max(1, q.deadline().toEpochMilli() - now.toEpochMilli() + 1);
                    vertx.setTimer(ms, id -> pump(ep));
                    long last = ep.lastColdCue.get();
                    if (ep.queue.capacity() == 0 && now.toEpochMilli() - last >= 1000
                            && ep.lastColdCue.compareAndSet(last, now.toEpochMilli())) {
                        try {
                            coldListener.accept(endpointId);
                        } catch (RuntimeException e) {
                            LOG.warn("cold-start listener failed for endpoint {}", endpointId, e);
                        }
                    }
                }
                case Admission.Rejected r -> {
                    ep.waiting.remove(requestId);
                    refund();
                    new OpenAiError(429, "rate_limit_error", null, "queue_full", r.message(), r.retryAfterSeconds())
                            .send(response);
                }
            }
        }

        void admitted() {
            admitted = true;
            if (clientGone) {
                fail(499, null);
                return;
            }
            attempt();
        }

        void expired(AdmissionQueue.Expired expired) {
            refund();
            finished = true;
            new OpenAiError(503, "server_error", null, "no_capacity", expired.message(), expired.retryAfterSeconds())
                    .send(response);
        }

        void clientGone() {
            if (finished || clientGone) {
                return;
            }
            clientGone = true;
            if (!admitted) {
                if (ep.queue.cancel(requestId)) {
                    ep.waiting.remove(requestId);
                    refund();
                    finished = true;
                }
                return;
            }
            HttpClientRequest up = upstream;
            // Finish first: resetting fires the upstream's exception handler, which must see a finished exchange.
            fail(499, null);
            if (up != null) {
                // Closing the worker's connection is how it learns to cancel the sequence.
                up.reset();
            }
        }

        private void refund() {
            limiter.reconcile(caller.tenantId(), reservedTokens, 0, clock.instant());
        }

        void attempt() {
            Optional<EndpointView> view = directory.endpoint(caller.tenantId(), parsed.model());
            if (view.isEmpty()) {
                fail(503, new OpenAiError(503, "server_error", null, "endpoint_gone",
                        "the endpoint for '" + parsed.model() + "' went away", 1));
                return;
            }
            ep.refresh(view.get());
            List<WorkerState> workers = view.get().workers().stream()
                    .map(w -> w.withLoad(inFlight(w.workerId()), w.queued()))
                    .toList();
            Optional<RoutingDecision> decision = ep.router.choose(routing, workers);
            if (decision.isEmpty()) {
                fail(attempts == 0 ? 503 : 502, attempts == 0
                        ? new OpenAiError(503, "server_error", null, "no_ready_worker",
                                "no ready worker for '" + parsed.model() + "'", 1)
                        : new OpenAiError(502, "server_error", null, "upstream_error", "the request failed on "
                                + attempts + " worker(s); last: " + lastFailure, 0));
                return;
            }
            String chosen = decision.get().workerId();
            URI base = view.get().workerUris().get(chosen);
            attempts++;
            tried.add(chosen);
            routing = routing.excluding(chosen);
            if (base == null) {
                lastFailure = "worker " + chosen + " has no address";
                retryOrFail();
                return;
            }
            worker = chosen;
            inFlight.computeIfAbsent(chosen, k -> new AtomicInteger()).incrementAndGet();
            workerStartNanos = System.nanoTime();
            String b = base.toString();
            RequestOptions options = new RequestOptions()
                    .setMethod(HttpMethod.POST)
                    .setAbsoluteURI((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + path)
                    .setConnectTimeout(config.connectTimeout().toMillis())
                    .setIdleTimeout(config.upstreamIdleTimeout().toMillis())
                    .putHeader("Content-Type", "application/json")
                    .putHeader("X-Request-Id", requestId);
            signer.sign(endpointId, chosen).ifPresent(token -> options.putHeader(WorkerToken.HEADER, token));
            String accept = ctx.request().getHeader("Accept");
            if (accept != null) {
                options.putHeader("Accept", accept);
            }
            int attemptNo = attempts;
            client.request(options)
                    .compose(req -> {
                        upstream = req;
                        if (clientGone) {
                            req.reset();
                        }
                        return req.send(body);
                    })
                    .onComplete(ar -> {
                        if (finished || attemptNo != attempts) {
                            if (ar.succeeded()) {
                                ar.result().request().reset();
                            }
                            return;
                        }
                        if (ar.failed()) {
                            lastFailure = chosen + ": " + ar.cause();
                            endAttempt();
                            retryOrFail();
                        } else {
                            onResponse(ar.result());
                        }
                    });
        }

        private void endAttempt() {
            if (worker != null) {
                inFlight.get(worker).decrementAndGet();
                worker = null;
            }
            upstream = null;
        }

        private void retryOrFail() {
            if (clientGone) {
                fail(499, null);
            } else if (attempts < config.maxAttempts()) {
                attempt();
            } else {
                fail(502, new OpenAiError(502, "server_error", null, "upstream_error",
                        "the request failed on " + attempts + " worker(s); last: " + lastFailure, 0));
            }
        }

        private void onResponse(HttpClientResponse up) {
            String type = up.getHeader("Content-Type");
            boolean sse = type != null && type.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
            if (up.statusCode() >= 500 && attempts < config.maxAttempts()) {
                lastFailure = worker + ": HTTP " + up.statusCode();
                up.request().reset();
                endAttempt();
                retryOrFail();
            } else if (sse && up.statusCode() == 200) {
                stream(up);
            } else {
                buffered(up);
            }
        }

        private void copyHeaders(HttpClientResponse up) {
            response.setStatusCode(up.statusCode());
            up.headers().forEach((name, value) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                    response.headers().add(name, value);
                }
            });
        }

        private void buffered(HttpClientResponse up) {
            up.body().onComplete(ar -> {
                if (finished) {
                    return;
                }
                if (ar.failed()) {
                    // Nothing reached the client yet: as good as a refused connection.
                    lastFailure = worker + ": " + ar.cause();
                    endAttempt();
                    retryOrFail();
                    return;
                }
                Buffer answer = ar.result();
                copyHeaders(up);
                committed = true;
                long prompt = parsed.promptTokens();
                long completion = 0;
                boolean estimated = true;
                if (up.statusCode() / 100 == 2) {
                    Optional<JsonNode> usage = UsageField.of(answer.getBytes());
                    if (usage.isPresent()) {
                        prompt = usage.get().path("prompt_tokens").asLong(prompt);
                        completion = usage.get().path("completion_tokens").asLong(0);
                        estimated = false;
                    }
                } else {
                    prompt = 0;
                }
                // Recorded before the client has the answer, so a client that saw it can rely on the record.
                finish(up.statusCode(), prompt, completion, estimated);
                response.end(answer);
            });
        }

        private void stream(HttpClientResponse up) {
            SseScanner scanner = new SseScanner();
            boolean[] over = {false};
            up.handler(chunk -> {
                if (finished || over[0]) {
                    return;
                }
                if (!committed) {
                    copyHeaders(up);
                    response.setChunked(true);
                    committed = true;
                }
                scanner.feed(chunk);
                // Events the worker sent together reach this handler one by one within one pass of
                // the event loop; writing (and flushing) each alone costs a system call per token.
                // Gather what arrives in this pass and write it once right after: order kept, no
                // added wait.
                if (pending == null) {
                    pending = Buffer.buffer(Math.max(256, chunk.length() * 4));
                    context.runOnContext(v -> flushPending(up));
                }
                pending.appendBuffer(chunk);
            });
            up.exceptionHandler(e -> {
                if (!over[0] && !finished) {
                    over[0] = true;
                    broken(up, scanner, e.toString());
                }
            });
            up.endHandler(v -> {
                if (over[0] || finished) {
                    return;
                }
                over[0] = true;
                if (!scanner.sawDone()) {
                    broken(up, scanner, "the worker ended the stream without [DONE]");
                    return;
                }
                streamUsage(scanner, 200);
                Buffer rest = takePending();
                if (rest == null) {
                    response.end();
                } else {
                    response.end(rest);
                }
            });
        }

        private Buffer takePending() {
            Buffer b = pending;
            pending = null;
            return b;
        }

        private void flushPending(HttpClientResponse up) {
            Buffer b = takePending();
            if (b == null || response.ended() || response.closed()) {
                return;
            }
            response.write(b);
            if (response.writeQueueFull()) {
                up.pause();
                response.drainHandler(v -> up.resume());
            }
        }

        private void broken(HttpClientResponse up, SseScanner scanner, String why) {
            lastFailure = worker + ": " + why;
            if (!committed) {
                up.request().reset();
                endAttempt();
                retryOrFail();
                return;
            }
            LOG.warn("stream {} on worker {} broke after it started: {}", requestId, worker, why);
            streamUsage(scanner, 502);
            if (!response.ended() && !response.closed()) {
                Buffer rest = takePending();
                if (rest != null) {
                    response.write(rest);
                }
                response.write(new OpenAiError(502, "server_error", null, "stream_interrupted",
                        "the worker's stream broke after it started: " + why, 0).sseEvent());
                response.end("data: [DONE]\n\n");
            }
        }

        private void streamUsage(SseScanner scanner, int status) {
            Optional<JsonNode> usage = scanner.usage();
            if (usage.isPresent()) {
                finish(status, usage.get().path("prompt_tokens").asLong(parsed.promptTokens()),
                        usage.get().path("completion_tokens").asLong(0), false);
            } else {
                finish(status, parsed.promptTokens(), scanner.dataEvents(), true);
            }
        }

        /** Ends without a worker's answer: sends {@code error} (when given) and records nothing billable. */
        private void fail(int status, OpenAiError error) {
            finish(status, 0, 0, true);
            if (error != null && !clientGone) {
                error.send(response);
            }
        }

        private void finish(int status, long promptTokens, long completionTokens, boolean estimated) {
            if (finished) {
                return;
            }
            finished = true;
            Instant now = clock.instant();
            String servedBy = worker;
            double seconds = servedBy == null ? 0 : (System.nanoTime() - workerStartNanos) / 1e9;
            endAttempt();
            if (admitted) {
                ep.queue.release(requestId, now);
                pump(ep);
            }
            limiter.reconcile(caller.tenantId(), reservedTokens, promptTokens + completionTokens, now);
            ep.tokens.add(promptTokens + completionTokens);
            if (admitted) {
                ep.completed.increment();
            }
            if (servedBy != null) {
                try {
                    usageSink.record(new Usage(caller.tenantId(), endpointId, servedBy, promptTokens, completionTokens,
                            seconds, status, estimated));
                } catch (RuntimeException e) {
                    LOG.error("usage sink failed for request {}", requestId, e);
                }
            }
        }
    }
}
