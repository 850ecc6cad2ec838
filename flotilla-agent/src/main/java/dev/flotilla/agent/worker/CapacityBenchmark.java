package dev.flotilla.agent.worker;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A short benchmark the agent runs against a newly healthy backend, on the backend's own port (no
 * proxy, no token), to measure the worker's capacity the way Vast.ai's serverless benchmark does:
 * the same request at concurrency 1, 2, 4, ... up to {@link BenchmarkConfig#maxConcurrency()},
 * {@link BenchmarkConfig#requestsPerClient()} requests per client per level, after one warm-up
 * request; {@link CapacityPolicy} decides after each level whether climbing still pays.
 *
 * <p>Chat backends get {@code POST /v1/chat/completions} with a fixed prompt of about 200 tokens
 * and {@code max_tokens} 32, not streamed; tokens per second count {@code usage.completion_tokens}.
 * The embeddings backend gets {@code POST /v1/embeddings} with a batch of 8 short sentences;
 * tokens per second count {@code usage.total_tokens}. The model name sent is the first one the
 * backend lists at {@code GET /v1/models} (servers name it differently from the assignment, e.g.
 * the embeddings server), else the assignment's.
 *
 * <p>Bounded by {@link BenchmarkConfig#budget()}: no request starts after it, a level cut short
 * by it is left out (a partial level would overstate its latency or understate its throughput),
 * and the result is chosen from the levels that finished. A level where any request fails fails
 * the benchmark with the reason, as does a budget in which not even level 1 finished.
 *
 * <pre>{@code
 * BenchmarkResult r = new CapacityBenchmark(vertx, BenchmarkConfig.defaults(), InstantSource.system())
 *         .run(backend.port(), CapacityBenchmark.Workload.CHAT, "Llama-3.1-8B");
 * r.capacity();   // concurrent requests
 * }</pre>
 */
public final class CapacityBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(CapacityBenchmark.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** About 200 tokens of plain prose: a typical short chat prompt, the same every time. */
    static final String PROMPT = "You are helping a small shipping company plan its week. The company runs twelve"
            + " vessels between four ports on the North Sea, and each vessel carries containers, bulk grain or"
            + " refrigerated goods. On Monday two vessels are due for maintenance, a storm is forecast for"
            + " Wednesday afternoon, and one port has announced a strike that may close its cranes for a day."
            + " The planners want to keep every refrigerated load on schedule, move the grain before the storm,"
            + " and avoid paying overtime at the port that might strike. They have asked for a short plan that"
            + " lists, for each day, which vessels sail, where they load and unload, and what the fallback is if"
            + " the storm arrives early or the strike goes ahead. Keep the answer brief and practical, use plain"
            + " words, and say which of the constraints is the hardest to meet and why. Start with the single"
            + " most important decision the planners must take today.";

    /** Eight short sentences: one embeddings request. */
    static final List<String> SENTENCES = List.of(
            "The ferry leaves the harbour at seven in the morning.",
            "Container prices rose sharply over the winter.",
            "A storm is expected to reach the coast by Wednesday.",
            "The crane operators voted to strike for one day.",
            "Refrigerated cargo must stay below four degrees.",
            "Grain shipments are loaded from the northern quay.",
            "Two vessels are in dry dock for scheduled maintenance.",
            "The planners meet every Monday to set the week's routes.");

    /** What kind of requests measure a backend. */
    public enum Workload {
        CHAT("/v1/chat/completions"),
        EMBEDDINGS("/v1/embeddings");

        private final String path;

        Workload(String path) {
            this.path = path;
        }

        public String path() {
            return path;
        }

        /** The workload of a backend template: embeddings for {@code embeddings}, chat for every LLM server. */
        public static Workload forTemplate(String templateName) {
            return "embeddings".equals(templateName) ? EMBEDDINGS : CHAT;
        }
    }

    private final Vertx vertx;
    private final BenchmarkConfig config;
    private final InstantSource clock;
    private final ThreadFactory threads = Thread.ofVirtual().name("flotilla-agent-benchmark-", 0).factory();

    public CapacityBenchmark(Vertx vertx, BenchmarkConfig config, InstantSource clock) {
        this.vertx = requireNonNull(vertx, "vertx is null");
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Benchmarks the backend on {@code 127.0.0.1:port}. Blocks (call it off any event loop) for at
     * most about the budget. A failed level, or no level finished within the budget, is a
     * {@link FlotillaException} ({@code UNAVAILABLE}) whose message says which and why.
     */
    public BenchmarkResult run(int port, Workload workload, String model) throws InterruptedException {
        requireNonNull(workload, "workload is null");
        requireNonNull(model, "model is null");
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("the benchmark blocks: run it off the event loop");
        }
        Instant deadline = clock.instant().plus(config.budget());
        WebClient web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true).setConnectTimeout(5_000),
                new PoolOptions().setHttp1MaxSize(config.maxConcurrency()));
        try {
            String served = servedModel(web, port, deadline).orElse(model);
            Buffer body = Buffer.buffer(body(workload, served));
            Outcome warmUp = send(web, port, workload, body, deadline);
            if (warmUp.error().isPresent()) {
                throw failed("the warm-up request to " + workload.path() + " failed: " + warmUp.error().get());
            }
            List<BenchmarkLevel> levels = new ArrayList<>();
            String stop = "reached the highest concurrency tried, " + config.maxConcurrency();
            for (int concurrency : config.levels()) {
                Optional<BenchmarkLevel> level = level(web, port, workload, body, concurrency, deadline);
                if (level.isEmpty()) {
                    stop = "the time budget of " + config.budget().toSeconds() + " s ran out during concurrency "
                            + concurrency;
                    break;
                }
                levels.add(level.get());
                LOG.debug("benchmark on port {}: {}", port, level.get().describe());
                if (levels.size() > 1) {
                    Optional<String> why = CapacityPolicy.rejects(levels.getFirst(), levels.get(levels.size() - 2),
                            level.get());
                    if (why.isPresent()) {
                        stop = why.get();
                        break;
                    }
                }
            }
            if (levels.isEmpty()) {
                throw failed("not even concurrency 1 finished within the time budget of " + config.budget().toSeconds()
                        + " s");
            }
            CapacityPolicy.Choice choice = CapacityPolicy.choose(levels);
            BenchmarkLevel at = choice.level();
            return new BenchmarkResult(at.concurrency(), at.requestsPerSecond(), at.tokensPerSecond(), levels,
                    choice.stoppedBecause().orElse(stop));
        } finally {
            web.close();
        }
    }

    /** One level; empty when the budget ran out before every request of it finished. */
    private Optional<BenchmarkLevel> level(WebClient web, int port, Workload workload, Buffer body, int concurrency,
            Instant deadline) throws InterruptedException {
        List<List<Outcome>> perClient = new ArrayList<>();
        List<Thread> clients = new ArrayList<>();
        Instant start = clock.instant();
        for (int i = 0; i < concurrency; i++) {
            List<Outcome> outcomes = new ArrayList<>();
            perClient.add(outcomes);
            Thread t = threads.newThread(() -> {
                for (int r = 0; r < config.requestsPerClient(); r++) {
                    if (!clock.instant().isBefore(deadline)) {
                        outcomes.add(Outcome.CUT);
                        return;
                    }
                    try {
                        Outcome o = send(web, port, workload, body, deadline);
                        outcomes.add(o);
                        if (o.error().isPresent()) {
                            return;
                        }
                    } catch (InterruptedException e) {
                        outcomes.add(Outcome.CUT);
                        return;
                    }
                }
            });
            t.start();
            clients.add(t);
        }
        try {
            for (Thread t : clients) {
                t.join();
            }
        } catch (InterruptedException e) {
            clients.forEach(Thread::interrupt);
            throw e;
        }
        Instant end = clock.instant();
        List<Outcome> all = perClient.stream().flatMap(List::stream).toList();
        List<Outcome> failures = all.stream().filter(o -> o.error().isPresent() && !o.cut()).toList();
        if (!failures.isEmpty()) {
            throw failed("at concurrency " + concurrency + ", " + failures.size() + " of " + all.size() + " requests to "
                    + workload.path() + " failed; the first: " + failures.getFirst().error().get());
        }
        if (all.stream().anyMatch(Outcome::cut)) {
            return Optional.empty();
        }
        long latencyNanos = all.stream().mapToLong(o -> o.latency().toNanos()).sum() / all.size();
        double seconds = Math.max(Duration.between(start, end).toNanos(), 1) / 1e9;
        long tokens = all.stream().mapToLong(Outcome::tokens).sum();
        return Optional.of(new BenchmarkLevel(concurrency, all.size(), Duration.ofNanos(latencyNanos),
                all.size() / seconds, tokens / seconds));
    }

    /** How one request went: its latency and tokens, or why it failed; {@code cut} when the budget ended it. */
    private record Outcome(Duration latency, long tokens, Optional<String> error, boolean cut) {
        static final Outcome CUT = new Outcome(Duration.ZERO, 0, Optional.of("cut by the time budget"), true);
    }

    private Outcome send(WebClient web, int port, Workload workload, Buffer body, Instant deadline)
            throws InterruptedException {
        Instant start = clock.instant();
        long left = Math.max(1, Duration.between(start, deadline).toMillis());
        HttpResponse<Buffer> response;
        try {
            response = web.post(port, "127.0.0.1", workload.path()).putHeader("Content-Type", "application/json")
                    .timeout(left).sendBuffer(body).toCompletionStage().toCompletableFuture()
                    .get(left + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            if (!clock.instant().isBefore(deadline)) {
                return Outcome.CUT;
            }
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            return new Outcome(Duration.ZERO, 0, Optional.of(cause.getMessage() == null ? cause.toString()
                    : cause.getMessage()), false);
        }
        Duration latency = Duration.between(start, clock.instant());
        String text = response.bodyAsString();
        if (response.statusCode() / 100 != 2) {
            return new Outcome(latency, 0, Optional.of("HTTP " + response.statusCode() + ": " + shorten(text)), false);
        }
        long tokens = 0;
        try {
            JsonNode usage = JSON.readTree(text == null ? "{}" : text).path("usage");
            tokens = usage.path(workload == Workload.CHAT ? "completion_tokens" : "total_tokens").asLong(0);
        } catch (IOException e) {
            return new Outcome(latency, 0, Optional.of("HTTP " + response.statusCode() + " with a body that is not JSON: "
                    + shorten(text)), false);
        }
        return new Outcome(latency, tokens, Optional.empty(), false);
    }

    /** The first model the backend lists, if it lists any. */
    private Optional<String> servedModel(WebClient web, int port, Instant deadline) throws InterruptedException {
        long left = Math.max(1, Math.min(5_000, Duration.between(clock.instant(), deadline).toMillis()));
        try {
            HttpResponse<Buffer> r = web.get(port, "127.0.0.1", "/v1/models").timeout(left).send().toCompletionStage()
                    .toCompletableFuture().get(left + 1_000, TimeUnit.MILLISECONDS);
            if (r.statusCode() == 200) {
                JsonNode id = JSON.readTree(r.bodyAsString()).path("data").path(0).path("id");
                if (id.isTextual() && !id.asText().isBlank()) {
                    return Optional.of(id.asText());
                }
            }
        } catch (ExecutionException | TimeoutException | IOException | RuntimeException e) {
            // A server without /v1/models is asked with the assignment's model name.
        }
        return Optional.empty();
    }

    private String body(Workload workload, String model) {
        ObjectNode root = JSON.createObjectNode().put("model", model);
        if (workload == Workload.CHAT) {
            root.putArray("messages").addObject().put("role", "user").put("content", PROMPT);
            root.put("max_tokens", config.maxTokens());
            root.put("stream", false);
        } else {
            ArrayNode input = root.putArray("input");
            SENTENCES.forEach(input::add);
        }
        return root.toString();
    }

    private static FlotillaException failed(String message) {
        return new FlotillaException(ErrorCode.UNAVAILABLE, "benchmark", "capacity benchmark failed: " + message);
    }

    private static String shorten(String text) {
        if (text == null) {
            return "(no body)";
        }
        String one = text.strip().replace('\n', ' ');
        return one.length() <= 300 ? one : one.substring(0, 300) + "...";
    }
}
