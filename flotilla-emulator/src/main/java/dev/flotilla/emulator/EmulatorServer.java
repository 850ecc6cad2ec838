package dev.flotilla.emulator;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.engine.Deployment;
import dev.flotilla.engine.EngineModel;
import dev.flotilla.engine.KvPrecision;
import dev.flotilla.engine.MemoryPlan;
import dev.flotilla.engine.ModelCatalog;
import dev.flotilla.engine.ModelShape;
import dev.flotilla.engine.WeightPrecision;
import dev.flotilla.market.gpu.GpuCatalog;
import dev.flotilla.market.gpu.GpuSpec;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible server that behaves like vLLM serving one model on one kind of GPU, with
 * no GPU: answers are {@link DeterministicText}, and their timing is the {@link BatchScheduler}'s
 * continuous batching with step times from {@link EngineModel#calibrated()}, slept in wall time
 * times {@code --time-scale}. It says it is an emulator in every answer: the header
 * {@code X-Flotilla-Emulated: true} and {@code system_fingerprint: "flotilla-emulator-<gpu>"}.
 *
 * <pre>
 * java -cp ... dev.flotilla.emulator.EmulatorServer --port 0 --model Llama-3.1-8B --gpu H100_SXM
 * listening on 41234
 * curl localhost:41234/v1/chat/completions -d '{"model":"Llama-3.1-8B","messages":[{"role":"user","content":"hi"}]}'
 * </pre>
 */
public final class EmulatorServer implements AutoCloseable {
    /** The header on every response. */
    public static final String EMULATED_HEADER = "X-Flotilla-Emulated";
    /** Largest request body accepted; larger ones get 413. */
    public static final long MAX_BODY_BYTES = 1L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(EmulatorServer.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration THROUGHPUT_WINDOW = Duration.ofSeconds(5);

    private final Vertx vertx;
    private final HttpServer server;
    private final SchedulerLoop loop;
    private final String servedModel;
    private final String fingerprint;
    private final int maxModelLen;
    private final Deployment deployment;
    private final OpenAiRequests requests;
    private final InstantSource clock;
    private final long startedEpochSeconds;
    private final AtomicLong ids = new AtomicLong();

    private EmulatorServer(EmulatorConfig config, InstantSource clock) {
        this.clock = requireNonNull(clock, "clock is null");
        ModelShape model = ModelCatalog.defaultCatalog().get(config.model());
        GpuSpec gpu = GpuCatalog.defaultCatalog().resolve(config.gpu(), OptionalDouble.empty());
        this.deployment = new Deployment(model, gpu, config.tensorParallel(), WeightPrecision.BF16,
                KvPrecision.BITS_16);
        MemoryPlan plan = MemoryPlan.of(deployment);
        if (!plan.fits()) {
            throw new IllegalArgumentException(plan.reason());
        }
        long fit = Math.min(model.maxContext(), plan.kvTokens());
        if (config.maxModelLen() > fit) {
            throw new IllegalArgumentException("--max-model-len " + config.maxModelLen() + " exceeds what "
                    + model.id() + " on " + config.tensorParallel() + "x " + gpu.id() + " holds: " + fit
                    + " tokens (context " + model.maxContext() + ", KV cache " + plan.kvTokens() + ")");
        }
        this.maxModelLen = config.maxModelLen() > 0 ? config.maxModelLen() : (int) fit;
        this.servedModel = config.servedModelName();
        this.fingerprint = "flotilla-emulator-" + gpu.id();
        this.requests = new OpenAiRequests(servedModel, maxModelLen);
        this.startedEpochSeconds = clock.instant().getEpochSecond();
        this.loop = new SchedulerLoop(BatchScheduler.of(EngineModel.calibrated(), deployment), config.timeScale(),
                new ThroughputMeter(clock, THROUGHPUT_WINDOW)).start();
        this.vertx = Vertx.vertx();
        try {
            this.server = vertx.createHttpServer().requestHandler(router()).listen(config.port()).await();
        } catch (RuntimeException e) {
            loop.close();
            vertx.close();
            throw e;
        }
    }

    /** Starts a server and returns once it listens. */
    public static EmulatorServer start(EmulatorConfig config) {
        return new EmulatorServer(requireNonNull(config, "config is null"), InstantSource.system());
    }

    /** Starts a server and prints {@code listening on PORT} (the ready signal) once it listens. */
    public static void main(String[] args) {
        EmulatorServer server;
        try {
            server = start(EmulatorConfig.parse(args));
        } catch (RuntimeException e) {
            System.err.println("flotilla-emulator: " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "emulator-shutdown"));
        System.out.println("listening on " + server.port());
        System.out.flush();
    }

    /** The port it listens on. */
    public int port() {
        return server.actualPort();
    }

    /** The longest prompt plus completion it accepts. */
    public int maxModelLen() {
        return maxModelLen;
    }

    /** The scheduler's latest state. */
    public LoadSnapshot load() {
        return loop.load();
    }

    @Override
    public void close() {
        try {
            server.close().await();
        } finally {
            loop.close();
            vertx.close().await();
        }
    }

    private Router router() {
        Router router = Router.router(vertx);
        router.route().handler(ctx -> {
            ctx.response().putHeader(EMULATED_HEADER, "true");
            ctx.next();
        });
        router.post().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        router.get("/health").handler(ctx -> json(ctx.response(), 200, MAPPER.createObjectNode()
                .put("status", "ok").put("emulated", true)));
        router.get("/v1/models").handler(this::models);
        router.get("/load").handler(this::load);
        router.post("/v1/chat/completions").handler(ctx -> complete(ctx, true));
        router.post("/v1/completions").handler(ctx -> complete(ctx, false));
        router.route().last().handler(ctx -> error(ctx.response(), new OpenAiException(404, "invalid_request_error",
                null, "not_found", "no route " + ctx.request().method() + " " + ctx.request().path()
                        + "; the emulator serves /health, /load, /v1/models, /v1/chat/completions, "
                        + "/v1/completions")));
        router.route().failureHandler(this::failure);
        return router;
    }

    private void failure(RoutingContext ctx) {
        if (ctx.failure() instanceof OpenAiException e) {
            error(ctx.response(), e);
        } else if (ctx.statusCode() == 413) {
            error(ctx.response(), new OpenAiException(413, "invalid_request_error", null, "request_too_large",
                    "the request body exceeds " + MAX_BODY_BYTES + " bytes"));
        } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
            error(ctx.response(), new OpenAiException(ctx.statusCode(), "invalid_request_error", null, null,
                    "the request was refused (HTTP " + ctx.statusCode() + ")"));
        } else {
            LOG.error("request failed", ctx.failure());
            error(ctx.response(), new OpenAiException(500, "server_error", null, null,
                    "internal error in the emulator: " + ctx.failure()));
        }
    }

    private void models(RoutingContext ctx) {
        ObjectNode body = MAPPER.createObjectNode().put("object", "list");
        body.putArray("data").addObject()
                .put("id", servedModel)
                .put("object", "model")
                .put("created", startedEpochSeconds)
                .put("owned_by", "flotilla-emulator")
                .put("root", deployment.model().id())
                .put("max_model_len", maxModelLen);
        json(ctx.response(), 200, body);
    }

    private void load(RoutingContext ctx) {
        LoadSnapshot s = loop.load();
        json(ctx.response(), 200, MAPPER.createObjectNode()
                .put("emulated", true)
                .put("model", servedModel)
                .put("gpu", deployment.gpu().id())
                .put("tensor_parallel", deployment.tensorParallel())
                .put("running", s.running())
                .put("waiting", s.waiting())
                .put("kv_cache_utilization", s.kvUtilization())
                .put("kv_cache_used_tokens", s.kvUsedTokens())
                .put("kv_cache_capacity_tokens", s.kvCapacityTokens())
                .put("tokens_per_second", loop.tokensPerSecond())
                .put("tokens_per_second_window_seconds", THROUGHPUT_WINDOW.toSeconds())
                .put("steps", s.steps()));
    }

    private void complete(RoutingContext ctx, boolean chat) {
        Buffer body = ctx.body().buffer();
        CompletionRequest request;
        try {
            request = requests.parse(chat, body == null ? null : body.getBytes());
        } catch (OpenAiException e) {
            error(ctx.response(), e);
            return;
        }
        List<String> text = DeterministicText.cutAtStop(
                DeterministicText.tokens(DeterministicText.seed(request.canonicalPrompt())), request.stop());
        long id = ids.incrementAndGet();
        SequenceRequest sequence = new SequenceRequest(id, request.promptTokens(), request.maxTokens(), text);
        Response response = new Response(ctx.response(), request, (chat ? "chatcmpl-emu-" : "cmpl-emu-") + id,
                clock.instant().getEpochSecond());
        ctx.response().closeHandler(v -> {
            if (!response.done) {
                response.done = true;
                loop.cancel(id);
            }
        });
        Context context = vertx.getOrCreateContext();
        Executor onContext = task -> context.runOnContext(v -> task.run());
        loop.submit(sequence, onContext, response);
    }

    /**
     * One response's writer. It runs only on the request's Vert.x context, one token at a time in
     * the scheduler's order, so the stream needs no locks; it ends with a final chunk and
     * {@code [DONE]} (streams) or the whole body.
     */
    private final class Response implements Consumer<TokenEvent> {
        private final HttpServerResponse http;
        private final CompletionRequest request;
        private final String id;
        private final long created;
        private final StringBuilder content = new StringBuilder();
        private int completionTokens;
        boolean done;

        Response(HttpServerResponse http, CompletionRequest request, String id, long created) {
            this.http = http;
            this.request = request;
            this.id = id;
            this.created = created;
        }

        @Override
        public void accept(TokenEvent token) {
            if (done || http.closed()) {
                return;
            }
            completionTokens++;
            if (request.stream()) {
                if (token.first()) {
                    http.setChunked(true).setStatusCode(200)
                            .putHeader("Content-Type", "text/event-stream")
                            .putHeader("Cache-Control", "no-cache");
                }
                ObjectNode delta = MAPPER.createObjectNode();
                if (token.first() && request.chat()) {
                    delta.put("role", "assistant");
                }
                delta.put("content", token.text());
                event(chunk(delta, null));
                token.finish().ifPresent(finish -> {
                    done = true;
                    event(chunk(MAPPER.createObjectNode(), finish));
                    if (request.includeUsage()) {
                        ObjectNode usage = base(request.chat() ? "chat.completion.chunk" : "text_completion");
                        usage.putArray("choices");
                        usage.set("usage", usage());
                        event(usage);
                    }
                    http.end("data: [DONE]\n\n");
                });
            } else {
                content.append(token.text());
                token.finish().ifPresent(finish -> {
                    done = true;
                    ObjectNode body = base(request.chat() ? "chat.completion" : "text_completion");
                    ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
                    if (request.chat()) {
                        choice.putObject("message").put("role", "assistant").put("content", content.toString());
                    } else {
                        choice.put("text", content.toString());
                    }
                    choice.putNull("logprobs");
                    choice.put("finish_reason", finish.wire());
                    body.set("usage", usage());
                    json(http, 200, body);
                });
            }
        }

        private ObjectNode chunk(ObjectNode delta, FinishReason finish) {
            ObjectNode chunk = base(request.chat() ? "chat.completion.chunk" : "text_completion");
            ArrayNode choices = chunk.putArray("choices");
            ObjectNode choice = choices.addObject().put("index", 0);
            if (request.chat()) {
                choice.set("delta", delta);
            } else {
                choice.put("text", delta.path("content").asText(""));
            }
            choice.putNull("logprobs");
            if (finish == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finish.wire());
            }
            if (request.includeUsage()) {
                chunk.putNull("usage");
            }
            return chunk;
        }

        private ObjectNode base(String object) {
            return MAPPER.createObjectNode()
                    .put("id", id)
                    .put("object", object)
                    .put("created", created)
                    .put("model", request.model())
                    .put("system_fingerprint", fingerprint);
        }

        private ObjectNode usage() {
            return MAPPER.createObjectNode()
                    .put("prompt_tokens", request.promptTokens())
                    .put("completion_tokens", completionTokens)
                    .put("total_tokens", request.promptTokens() + completionTokens);
        }

        private void event(ObjectNode data) {
            http.write("data: " + write(data) + "\n\n");
        }
    }

    private static void error(HttpServerResponse http, OpenAiException e) {
        ObjectNode error = MAPPER.createObjectNode();
        ObjectNode inner = error.putObject("error").put("message", e.getMessage()).put("type", e.type());
        e.param().ifPresentOrElse(p -> inner.put("param", p), () -> inner.putNull("param"));
        e.code().ifPresentOrElse(c -> inner.put("code", c), () -> inner.putNull("code"));
        json(http, e.status(), error);
    }

    private static void json(HttpServerResponse http, int status, ObjectNode body) {
        if (http.ended() || http.closed()) {
            return;
        }
        http.setStatusCode(status).putHeader("Content-Type", "application/json").end(write(body));
    }

    private static String write(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
