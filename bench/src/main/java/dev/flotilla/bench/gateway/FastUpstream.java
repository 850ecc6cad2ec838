package dev.flotilla.bench.gateway;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The benchmark's model server: answers {@code POST /v1/chat/completions} at once with a fixed,
 * realistic OpenAI answer, so that what a benchmark measures in front of it is the proxy, not the
 * model. Non-streaming: one {@code chat.completion} with {@code usage}. With {@code "stream":true}
 * in the body: {@code text/event-stream}, {@value #CHUNKS} {@code chat.completion.chunk} events,
 * a final usage chunk and {@code data: [DONE]}, each event its own HTTP chunk, written without
 * pauses. The body is only searched for {@code "stream":true} (a substring check; the benchmark
 * controls the bodies), never parsed.
 *
 * <p>One HTTP server per event loop ({@code instances}), so that the upstream is not the bottleneck
 * of the direct measurement.
 */
public final class FastUpstream implements AutoCloseable {
    static final int CHUNKS = 16;
    static final String MODEL = "bench-model";
    private static final int PROMPT_TOKENS = 42;
    private static final String[] WORDS = {"Flotilla", " routes", " each", " request", " to", " the", " least",
        " loaded", " worker", " of", " its", " endpoint", " and", " streams", " tokens", " back."};

    private static final Buffer COMPLETION = Buffer.buffer(completion());
    private static final List<Buffer> EVENTS = events();

    private final Vertx vertx;
    private final int port;
    private final Set<Long> threadIds = ConcurrentHashMap.newKeySet();

    private FastUpstream(Vertx vertx, int port) {
        this.vertx = vertx;
        this.port = port;
    }

    /** Starts {@code instances} servers sharing one free loopback port; returns once all listen. */
    public static FastUpstream start(int instances) {
        if (instances <= 0) {
            throw new IllegalArgumentException("instances must be positive, got " + instances);
        }
        Vertx vertx = Vertx.vertx();
        try {
            FastUpstream upstream = new FastUpstream(vertx, freePort());
            vertx.deployVerticle(() -> upstream.new Server(), new DeploymentOptions().setInstances(instances)).await();
            return upstream;
        } catch (RuntimeException e) {
            vertx.close().await();
            throw e;
        }
    }

    public int port() {
        return port;
    }

    /** The ids of the threads that served the upstream's connections (to tell its CPU time apart). */
    Set<Long> threadIds() {
        return Set.copyOf(threadIds);
    }

    @Override
    public void close() {
        vertx.close().await();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }

    private final class Server extends VerticleBase {
        @Override
        public Future<?> start() {
            return vertx.createHttpServer()
                    .connectionHandler(c -> threadIds.add(Thread.currentThread().threadId()))
                    .requestHandler(FastUpstream::handle)
                    .listen(port, "127.0.0.1");
        }
    }

    private static void handle(HttpServerRequest req) {
        if (!req.path().equals("/v1/chat/completions")) {
            req.response().setStatusCode(404).end();
            return;
        }
        req.body().onSuccess(body -> {
            HttpServerResponse resp = req.response();
            String text = body.toString();
            if (text.contains("\"stream\":true") || text.contains("\"stream\": true")) {
                resp.setChunked(true)
                        .putHeader("Content-Type", "text/event-stream")
                        .putHeader("Cache-Control", "no-cache");
                for (int i = 0; i < EVENTS.size() - 1; i++) {
                    resp.write(EVENTS.get(i));
                }
                resp.end(EVENTS.getLast());
            } else {
                resp.putHeader("Content-Type", "application/json").end(COMPLETION);
            }
        });
    }

    private static String completion() {
        return "{\"id\":\"chatcmpl-bench0000000000000000000000\",\"object\":\"chat.completion\",\"created\":1767225600,"
                + "\"model\":\"" + MODEL + "\",\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + String.join("", WORDS) + "\","
                + "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":" + PROMPT_TOKENS + ",\"completion_tokens\":" + CHUNKS
                + ",\"total_tokens\":" + (PROMPT_TOKENS + CHUNKS) + "}}";
    }

    /** The 16 content chunks (role in the first, finish reason in the last), the usage chunk, [DONE]. */
    private static List<Buffer> events() {
        String head = "data: {\"id\":\"chatcmpl-bench0000000000000000000000\",\"object\":\"chat.completion.chunk\","
                + "\"created\":1767225600,\"model\":\"" + MODEL + "\",\"system_fingerprint\":\"fp_bench\",";
        List<Buffer> events = new ArrayList<>();
        for (int i = 0; i < CHUNKS; i++) {
            String delta = (i == 0 ? "{\"role\":\"assistant\",\"content\":\"" : "{\"content\":\"") + WORDS[i] + "\"}";
            String finish = i == CHUNKS - 1 ? "\"stop\"" : "null";
            events.add(Buffer.buffer(head + "\"choices\":[{\"index\":0,\"delta\":" + delta
                    + ",\"logprobs\":null,\"finish_reason\":" + finish + "}],\"usage\":null}\n\n"));
        }
        events.add(Buffer.buffer(head + "\"choices\":[],\"usage\":{\"prompt_tokens\":" + PROMPT_TOKENS
                + ",\"completion_tokens\":" + CHUNKS + ",\"total_tokens\":" + (PROMPT_TOKENS + CHUNKS) + "}}\n\n"));
        events.add(Buffer.buffer("data: [DONE]\n\n"));
        return List.copyOf(events);
    }
}
