package dev.flotilla.embeddings;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenAI-compatible embeddings server for all-MiniLM-L6-v2 on CPU: {@code GET /health},
 * {@code GET /v1/models}, {@code POST /v1/embeddings}. Errors answer in OpenAI's shape
 * {@code {"error":{"message","type","param","code"}}}.
 *
 * <p>The event loop only routes and writes; each embeddings request runs on its own virtual thread
 * (tokenize, validate, wait for the {@link Batcher}), and the model runs on the batcher's single
 * worker thread. All threads are made here.
 *
 * <pre>{@code
 * java -cp 'flotilla-embeddings.jar:lib/*' dev.flotilla.embeddings.EmbeddingsServer --port 0
 * # prints "listening on 41234" once ready
 * }</pre>
 */
public final class EmbeddingsServer {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingsServer.class);

    private final Vertx vertx;
    private final ServerConfig config;
    private final InstantSource clock;
    // Trailing garbage after the object is malformed JSON, not something to ignore.
    private final ObjectMapper json =
            new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private final ExecutorService requestThreads;
    private final Batcher<TokenizedText, float[]> batcher;
    private final EmbeddingsApi api;
    private volatile HttpServer http;

    private EmbeddingsServer(Vertx vertx, ServerConfig config, EmbeddingModel model, InstantSource clock) {
        this.vertx = vertx;
        this.config = config;
        this.clock = clock;
        Thread.UncaughtExceptionHandler uncaught =
                (thread, e) -> LOG.error("uncaught exception on {}", thread.getName(), e);
        this.requestThreads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("embeddings-request-", 0).uncaughtExceptionHandler(uncaught).factory());
        this.batcher = new Batcher<>(batch -> Arrays.asList(model.embedTokenized(batch)), config.batchPolicy(), clock,
                Thread.ofPlatform().name("embeddings-batcher").daemon(true).uncaughtExceptionHandler(uncaught)
                        .factory());
        this.api = new EmbeddingsApi(model, batcher, config.servedModelName(), config.maxInputs(), json);
    }

    /** Starts listening; the future holds the server once the port is bound. */
    public static Future<EmbeddingsServer> start(Vertx vertx, ServerConfig config, EmbeddingModel model,
            InstantSource clock) {
        EmbeddingsServer server = new EmbeddingsServer(requireNonNull(vertx, "vertx is null"),
                requireNonNull(config, "config is null"), requireNonNull(model, "model is null"),
                requireNonNull(clock, "clock is null"));
        return server.listen().map(server);
    }

    private Future<HttpServer> listen() {
        long created = clock.instant().getEpochSecond();
        Router router = Router.router(vertx);
        router.get("/health").handler(ctx -> sendJson(ctx, 200, json.createObjectNode().put("status", "ok")));
        router.get("/v1/models").handler(ctx -> {
            ObjectNode list = json.createObjectNode().put("object", "list");
            list.putArray("data").addObject()
                    .put("id", config.servedModelName())
                    .put("object", "model")
                    .put("created", created)
                    .put("owned_by", "flotilla");
            sendJson(ctx, 200, list);
        });
        router.post("/v1/embeddings")
                .handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()))
                .handler(this::embeddings);
        router.route().failureHandler(this::failure);
        for (int status : List.of(404, 405, 413, 500)) {
            router.errorHandler(status, this::failure);
        }
        return vertx.createHttpServer(new HttpServerOptions().setHost(config.host()).setPort(config.port()))
                .requestHandler(router)
                .listen()
                .onSuccess(bound -> http = bound);
    }

    private void embeddings(RoutingContext ctx) {
        Buffer buffer = ctx.body().buffer();
        byte[] body = buffer == null ? new byte[0] : buffer.getBytes();
        Context context = vertx.getOrCreateContext();
        CompletableFuture<byte[]> answer = CompletableFuture.supplyAsync(() -> api.embeddings(body), requestThreads);
        // Back onto the request's event loop to write: one writer per response.
        Future.fromCompletionStage(answer, context).onComplete(result -> {
            if (result.succeeded()) {
                ctx.response().setStatusCode(200).putHeader("content-type", "application/json")
                        .end(Buffer.buffer(result.result()));
            } else {
                Throwable cause = result.cause();
                ctx.fail(cause instanceof CompletionException && cause.getCause() != null ? cause.getCause() : cause);
            }
        });
    }

    private void failure(RoutingContext ctx) {
        if (ctx.response().ended()) {
            return;
        }
        FlotillaException error = switch (ctx.failure()) {
            case FlotillaException e -> e;
            case null -> fromStatus(ctx);
            case Throwable t -> {
                LOG.error("unexpected failure on {} {}", ctx.request().method(), ctx.request().path(), t);
                yield new FlotillaException(ErrorCode.INTERNAL, null, "internal error; see the server log");
            }
        };
        if (error.code().kind() == ErrorCode.Kind.INTERNAL && error.getCause() != null) {
            LOG.error("internal error on {} {}", ctx.request().method(), ctx.request().path(), error.getCause());
        }
        sendJson(ctx, error.code().httpStatus(), errorBody(error));
    }

    private FlotillaException fromStatus(RoutingContext ctx) {
        String where = ctx.request().method() + " " + ctx.request().path();
        return switch (ctx.statusCode()) {
            case 404 -> new FlotillaException(ErrorCode.NOT_FOUND, null,
                    "no route for " + where + "; try POST /v1/embeddings, GET /v1/models or GET /health");
            case 405 -> new FlotillaException(ErrorCode.METHOD_NOT_ALLOWED, null, where + " is not allowed");
            case 413 -> new FlotillaException(ErrorCode.BODY_TOO_LARGE, null,
                    "the request body is larger than " + config.maxBodyBytes() + " bytes");
            default -> new FlotillaException(ErrorCode.INTERNAL, null,
                    "request failed with status " + ctx.statusCode());
        };
    }

    /** OpenAI's error shape; {@code code} is our stable wire name, except OpenAI's own model_not_found. */
    private ObjectNode errorBody(FlotillaException e) {
        String code = e.code() == ErrorCode.NOT_FOUND && e.field().filter("model"::equals).isPresent()
                ? "model_not_found"
                : e.code().wireName();
        ObjectNode root = json.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", e.getMessage());
        error.put("type", e.code().kind() == ErrorCode.Kind.USER ? "invalid_request_error" : "server_error");
        if (e.field().isPresent()) {
            error.put("param", e.field().get());
        } else {
            error.putNull("param");
        }
        error.put("code", code);
        return root;
    }

    private void sendJson(RoutingContext ctx, int status, ObjectNode body) {
        try {
            ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                    .end(Buffer.buffer(json.writeValueAsBytes(body)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("could not write a JSON response", e);
        }
    }

    /** The bound port: the real one when the config asked for 0. */
    public int port() {
        return http.actualPort();
    }

    public Batcher.Stats batchStats() {
        return batcher.stats();
    }

    /** Stops listening, then stops the batcher (failing what is queued) and the request threads. */
    public Future<Void> close() {
        Future<Void> closed = http == null ? Future.succeededFuture() : http.close();
        // Both closes wait (for the batch in flight, for request threads): not on the event loop.
        return closed.compose(ignored -> vertx.executeBlocking(() -> {
            batcher.close();
            requestThreads.close();
            return null;
        }));
    }

    public static void main(String[] args) {
        ServerConfig config;
        try {
            config = ServerConfig.parse(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println("embeddings server: " + e.getMessage());
            System.exit(2);
            return;
        }
        EmbeddingModel model = EmbeddingModel.load();
        Vertx vertx = Vertx.vertx();
        EmbeddingsServer server = start(vertx, config, model, InstantSource.system())
                .toCompletionStage().toCompletableFuture().join();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            server.close().toCompletionStage().toCompletableFuture().join();
            vertx.close().toCompletionStage().toCompletableFuture().join();
            model.close();
        }));
        // The ready signal scripts wait for: only printed once the port is bound.
        System.out.println("listening on " + server.port());
        System.out.flush();
    }
}
