package dev.flotilla.agent.worker;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.WorkerToken;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's HTTP server in front of one worker's backend, on its own port: the only way in from
 * the gateway. Every request must carry the gateway's per-request credential ({@value
 * WorkerToken#HEADER}, checked with {@link WorkerToken#verify} under the worker's key); one that
 * does not is refused with 401 in OpenAI's error shape, naming why, before anything reaches the
 * model server. Accepted requests go to {@code http://127.0.0.1:<backend port>} with the same
 * method, path, query, headers (less the hop-by-hop ones and the token) and body, and the answer
 * comes back as it arrives: status, headers, then the body piped chunk by chunk with back-pressure,
 * so server-sent events stream and nothing is buffered whole.
 *
 * <p>A backend that refuses or resets the connection before answering gets the client a 502
 * ({@code worker_unavailable}), which the gateway retries on another worker; one that breaks after
 * the answer started has the client's response reset, so a truncated body is never mistaken for a
 * whole one. A client that goes away has the upstream request reset: closing its connection is how
 * a model server learns to cancel the sequence. {@link #drain} turns new requests away with 503
 * ({@code worker_draining}, also retried by the gateway) and waits for those in flight.
 *
 * <p>Each exchange runs on its connection's event loop from start to end (the upstream request is
 * made from that context, so its callbacks come back there), so an exchange needs no locks; only
 * the in-flight count is shared, with {@link #drain}.
 *
 * <pre>{@code
 * try (WorkerProxy proxy = WorkerProxy.start(vertx, new WorkerProxy.Options("0.0.0.0", 0, backend.port(),
 *         "3", "12", key), InstantSource.system())) {
 *     proxy.port();                          // advertised to the control plane
 *     proxy.drain(Duration.ofSeconds(30));   // before stopping the backend
 * }
 * }</pre>
 */
public final class WorkerProxy implements AutoCloseable {
    /** The longest a worker token may still be valid for: the gateway mints them for one request. */
    public static final Duration MAX_TOKEN_LIFETIME = Duration.ofMinutes(5);

    private static final Logger LOG = LoggerFactory.getLogger(WorkerProxy.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Headers of one connection, not of the message (RFC 9110 section 7.6.1), plus the host (the
     * client sets its own) and the worker token (the backend has no use for it). Content-Length
     * stays: the body passes through unchanged.
     */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate", "proxy-authorization", "host",
            WorkerToken.HEADER.toLowerCase(Locale.ROOT));

    /**
     * Where the proxy listens and what it guards.
     *
     * @param bindHost the address to listen on ({@code 0.0.0.0} for every interface)
     * @param port the port, 0 for any free one
     * @param backendPort the backend's port on 127.0.0.1
     * @param key the worker's HMAC key (copied)
     */
    public record Options(String bindHost, int port, int backendPort, String endpointId, String workerId, byte[] key,
            Duration maxTokenLifetime) {
        public Options {
            requireNonNull(bindHost, "bindHost is null");
            requireNonNull(endpointId, "endpointId is null");
            requireNonNull(workerId, "workerId is null");
            key = requireNonNull(key, "key is null").clone();
            requireNonNull(maxTokenLifetime, "maxTokenLifetime is null");
            if (port < 0 || port > 65535 || backendPort < 1 || backendPort > 65535) {
                throw new IllegalArgumentException("port must be 0 to 65535 and backendPort 1 to 65535; got " + port + " and "
                        + backendPort);
            }
        }

        /** With the default token lifetime, {@link #MAX_TOKEN_LIFETIME}. */
        public Options(String bindHost, int port, int backendPort, String endpointId, String workerId, byte[] key) {
            this(bindHost, port, backendPort, endpointId, workerId, key, MAX_TOKEN_LIFETIME);
        }

        @Override
        public byte[] key() {
            return key.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Options x && bindHost.equals(x.bindHost) && port == x.port && backendPort == x.backendPort
                    && endpointId.equals(x.endpointId) && workerId.equals(x.workerId) && Arrays.equals(key, x.key)
                    && maxTokenLifetime.equals(x.maxTokenLifetime);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(bindHost, port, backendPort, endpointId, workerId, Arrays.hashCode(key),
                    maxTokenLifetime);
        }

        @Override
        public String toString() {
            return "proxy for worker " + workerId + " of endpoint " + endpointId + " on " + bindHost + ":" + port
                    + " -> 127.0.0.1:" + backendPort;
        }
    }

    private final Options options;
    private final byte[] key;
    private final InstantSource clock;
    private final HttpClient client;
    private final HttpServer server;
    private final Object monitor = new Object();
    private int inFlight; // guarded by monitor
    private boolean draining; // guarded by monitor
    private final AtomicLong served = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();

    private WorkerProxy(Vertx vertx, Options options, InstantSource clock) {
        this.options = requireNonNull(options, "options is null");
        this.key = options.key();
        this.clock = requireNonNull(clock, "clock is null");
        // Keep-alive: the gateway's requests arrive one after another; a reset closes only its own connection.
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(5_000),
                new PoolOptions().setHttp1MaxSize(1_024));
        try {
            this.server = vertx.createHttpServer().requestHandler(this::handle)
                    .listen(options.port(), options.bindHost()).await();
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** Starts the proxy and returns once it listens; blocks, so call it off any event loop. */
    public static WorkerProxy start(Vertx vertx, Options options, InstantSource clock) {
        return new WorkerProxy(requireNonNull(vertx, "vertx is null"), options, clock);
    }

    /** The port it listens on. */
    public int port() {
        return server.actualPort();
    }

    public Options options() {
        return options;
    }

    /** Requests accepted (a valid token) and not yet finished. */
    public int inFlight() {
        synchronized (monitor) {
            return inFlight;
        }
    }

    /** Requests accepted and finished, whatever the backend answered. */
    public long served() {
        return served.get();
    }

    public boolean draining() {
        synchronized (monitor) {
            return draining;
        }
    }

    /**
     * Stops accepting requests (503 {@code worker_draining} from now on) and waits until none is in
     * flight or {@code timeout} has passed. Returns whether it drained: false means requests were
     * still in flight at the timeout (stopping the backend then cuts them). Blocks: call it off any
     * event loop.
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        requireNonNull(timeout, "timeout is null");
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("drain blocks: call it off the event loop");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (monitor) {
            draining = true;
            while (inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(monitor, left);
            }
            return true;
        }
    }

    /** Stops listening and closes every connection, cutting requests still in flight. */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        try {
            server.close().await();
        } finally {
            client.close().await();
        }
    }

    private void handle(HttpServerRequest req) {
        // Hold the body until the backend is connected; the pipe then reads it with back-pressure.
        req.pause();
        WorkerToken.Verdict verdict = WorkerToken.verify(key, req.getHeader(WorkerToken.HEADER), options.endpointId(),
                options.workerId(), clock.instant(), options.maxTokenLifetime());
        if (!verdict.valid()) {
            refuse(req, 401, "authentication_error", "invalid_worker_token", "worker " + options.workerId()
                    + " refused the request: " + verdict.reason());
            return;
        }
        boolean accepted;
        synchronized (monitor) {
            // Counted under the same lock drain() sets the flag with, so a drain never misses a request.
            accepted = !draining;
            if (accepted) {
                inFlight++;
            }
        }
        if (!accepted) {
            refuse(req, 503, "server_error", "worker_draining", "worker " + options.workerId()
                    + " is draining: it finishes the requests in flight and takes no new ones; retry on another worker");
            return;
        }
        new Exchange(req).start();
    }

    private void refuse(HttpServerRequest req, int status, String type, String code, String message) {
        // Let the unread body flow (and be dropped) so the connection can carry the next request.
        req.resume();
        sendError(req.response(), status, type, code, message);
    }

    private static void sendError(HttpServerResponse response, int status, String type, String code, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", message).put("type", type).putNull("param").put("code", code);
        try {
            response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write an error body", e);
        }
    }

    private void finished() {
        served.incrementAndGet();
        synchronized (monitor) {
            inFlight--;
            if (inFlight == 0) {
                monitor.notifyAll();
            }
        }
    }

    /** One request on its way through; all of it runs on the request's event loop. */
    private final class Exchange {
        private final HttpServerRequest request;
        private final HttpServerResponse response;
        private HttpClientRequest upstream;
        private boolean answering;
        private boolean done;

        Exchange(HttpServerRequest request) {
            this.request = request;
            this.response = request.response();
        }

        void start() {
            response.closeHandler(v -> clientGone());
            RequestOptions o = new RequestOptions().setMethod(request.method()).setHost("127.0.0.1")
                    .setPort(options.backendPort()).setURI(request.uri());
            request.headers().forEach((name, value) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                    o.addHeader(name, value);
                }
            });
            client.request(o).onComplete(ar -> {
                if (done) {
                    if (ar.succeeded()) {
                        ar.result().reset();
                    }
                    return;
                }
                if (ar.failed()) {
                    unavailable(ar.cause());
                    return;
                }
                upstream = ar.result();
                Future<HttpClientResponse> answer;
                if (hasBody()) {
                    answer = upstream.send(request);
                } else {
                    request.resume();
                    answer = upstream.send();
                }
                answer.onComplete(r -> {
                    if (done) {
                        return;
                    }
                    if (r.failed()) {
                        unavailable(r.cause());
                    } else {
                        answer(r.result());
                    }
                });
            });
        }

        private boolean hasBody() {
            String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
            String encoding = request.getHeader(HttpHeaders.TRANSFER_ENCODING);
            return (length != null && !length.strip().equals("0"))
                    || (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked"));
        }

        private void answer(HttpClientResponse up) {
            answering = true;
            response.setStatusCode(up.statusCode());
            up.headers().forEach((name, value) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                    response.headers().add(name, value);
                }
            });
            if (!up.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
                response.setChunked(true);
            }
            up.pipe().endOnFailure(false).to(response).onComplete(ar -> {
                if (done) {
                    return;
                }
                if (ar.failed()) {
                    // The backend broke off (or the client's side failed) mid-answer: reset both, so
                    // the client sees a broken response, not a short one that looks whole.
                    LOG.debug("worker {}: answer broke off: {}", options.workerId(), ar.cause().toString());
                    upstream.reset();
                    response.reset();
                }
                end();
            });
        }

        /** Nothing has reached the client: say so with a 502 the gateway retries elsewhere. */
        private void unavailable(Throwable cause) {
            if (answering) {
                response.reset();
            } else {
                request.resume();
                sendError(response, 502, "server_error", "worker_unavailable", "worker " + options.workerId()
                        + ": its backend on port " + options.backendPort() + " did not answer: " + describe(cause));
            }
            end();
        }

        private void clientGone() {
            if (done) {
                return;
            }
            HttpClientRequest up = upstream;
            end();
            if (up != null) {
                // Closing the backend's connection is how a model server learns to cancel the sequence.
                up.reset();
            }
        }

        private void end() {
            if (!done) {
                done = true;
                finished();
            }
        }
    }

    private static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
