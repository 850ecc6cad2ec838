package dev.flotilla.embeddings;

import static dev.flotilla.embeddings.SharedModel.cosine;
import static dev.flotilla.embeddings.SharedModel.norm;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A real server, real model, real HTTP on an ephemeral port. */
class EmbeddingsServerTest {
    private static final int MAX_BODY = 256 * 1024;
    private static Instant startedAfter;
    private static Instant startedBefore;

    private static Vertx vertx;
    private static EmbeddingsServer server;
    private static WebClient client;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        ServerConfig config = ServerConfig.defaults().withPort(0).withMaxBodyBytes(MAX_BODY);
        // The system clock: the batcher's window runs on this clock, so a frozen one would hold
        // every request forever (BatcherTest shows that on purpose).
        startedAfter = Instant.now();
        server = await(EmbeddingsServer.start(vertx, config, SharedModel.get(), InstantSource.system()));
        startedBefore = Instant.now();
        client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(server.port()));
    }

    @AfterAll
    static void stop() {
        client.close();
        await(server.close());
        await(vertx.close());
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<Buffer> post(String body) {
        return await(client.post("/v1/embeddings").putHeader("content-type", "application/json")
                .sendBuffer(Buffer.buffer(body)));
    }

    private static HttpResponse<Buffer> post(JsonObject body) {
        return post(body.encode());
    }

    private static JsonObject request(Object input) {
        return new JsonObject().put("model", "all-MiniLM-L6-v2").put("input", input);
    }

    private static float[] floats(JsonArray array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.getNumber(i).floatValue();
        }
        return out;
    }

    @Test
    void healthAnswersOk() {
        HttpResponse<Buffer> response = await(client.get("/health").send());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.bodyAsJsonObject().getString("status")).isEqualTo("ok");
    }

    @Test
    void listsTheServedModelInOpenAisShape() {
        JsonObject body = await(client.get("/v1/models").send()).bodyAsJsonObject();

        assertThat(body.getString("object")).isEqualTo("list");
        JsonObject model = body.getJsonArray("data").getJsonObject(0);
        assertThat(model.getString("id")).isEqualTo("all-MiniLM-L6-v2");
        assertThat(model.getString("object")).isEqualTo("model");
        assertThat(model.getLong("created"))
                .isBetween(startedAfter.getEpochSecond(), startedBefore.getEpochSecond());
        assertThat(model.getString("owned_by")).isEqualTo("flotilla");
    }

    @Test
    void embedsAListOfStringsInOrderWithUsage() {
        List<String> texts = List.of("A man is playing a guitar.", "Someone plays an instrument.",
                "The stock market fell sharply today.");

        HttpResponse<Buffer> response = post(request(new JsonArray(texts)).put("user", "u-1"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.getHeader("content-type")).isEqualTo("application/json");
        JsonObject body = response.bodyAsJsonObject();
        assertThat(body.getString("object")).isEqualTo("list");
        assertThat(body.getString("model")).isEqualTo("all-MiniLM-L6-v2");
        JsonArray data = body.getJsonArray("data");
        assertThat(data).hasSize(3);
        float[][] expected = SharedModel.get().embed(texts);
        for (int i = 0; i < 3; i++) {
            JsonObject item = data.getJsonObject(i);
            assertThat(item.getString("object")).isEqualTo("embedding");
            assertThat(item.getInteger("index")).isEqualTo(i);
            float[] vector = floats(item.getJsonArray("embedding"));
            assertThat(vector).hasSize(384);
            assertThat(norm(vector)).isCloseTo(1.0, within(1e-5));
            assertThat(vector).containsExactly(expected[i], within(1e-5f));
        }
        float[] guitar = floats(data.getJsonObject(0).getJsonArray("embedding"));
        assertThat(cosine(guitar, floats(data.getJsonObject(1).getJsonArray("embedding"))))
                .isGreaterThan(cosine(guitar, floats(data.getJsonObject(2).getJsonArray("embedding"))));
        int tokens = texts.stream().mapToInt(t -> SharedModel.get().tokenize(t).tokenCount()).sum();
        assertThat(body.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(tokens);
        assertThat(body.getJsonObject("usage").getInteger("total_tokens")).isEqualTo(tokens);
    }

    @Test
    void base64AndFloatEncodingsCarryTheSameVector() {
        JsonObject asFloat = post(request("Flotilla serves embeddings.").put("dimensions", 384)).bodyAsJsonObject();
        JsonObject asBase64 = post(request("Flotilla serves embeddings.").put("encoding_format", "base64"))
                .bodyAsJsonObject();

        float[] fromFloat = floats(asFloat.getJsonArray("data").getJsonObject(0).getJsonArray("embedding"));
        byte[] raw = Base64.getDecoder().decode(asBase64.getJsonArray("data").getJsonObject(0).getString("embedding"));
        assertThat(raw).hasSize(384 * 4);
        float[] fromBase64 = new float[384];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(fromBase64);
        // JSON floats are written shortest-round-trip, so the two encodings agree exactly.
        assertThat(fromBase64).containsExactly(fromFloat);
    }

    @Test
    void concurrentHttpRequestsShareModelCalls() {
        Batcher.Stats before = server.batchStats();
        List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            inFlight.add(client.post("/v1/embeddings").sendJsonObject(request("concurrent request " + i)));
        }
        for (Future<HttpResponse<Buffer>> f : inFlight) {
            assertThat(await(f).statusCode()).isEqualTo(200);
        }
        Batcher.Stats after = server.batchStats();

        assertThat(after.inputs() - before.inputs()).isEqualTo(16);
        assertThat(after.batches() - before.batches()).isLessThan(16);
    }

    static List<Arguments> badRequests() {
        String tooLong = "hello ".repeat(600);
        return List.of(
                Arguments.of("malformed JSON", "{\"model\": \"all-MiniLM-L6-v2\", \"input\": ", 400, null,
                        "malformed_json", "not valid JSON"),
                Arguments.of("trailing garbage", request("x").encode() + " }", 400, null, "malformed_json", "JSON"),
                Arguments.of("not an object", "[1,2]", 400, null, "malformed_json", "JSON object"),
                Arguments.of("missing model", new JsonObject().put("input", "x").encode(), 400, "model",
                        "invalid_argument", "model is required"),
                Arguments.of("unknown model", new JsonObject().put("model", "text-embedding-3-small")
                        .put("input", "x").encode(), 404, "model", "model_not_found", "text-embedding-3-small"),
                Arguments.of("missing input", new JsonObject().put("model", "all-MiniLM-L6-v2").encode(), 400,
                        "input", "invalid_argument", "input is required"),
                Arguments.of("empty string", request("").encode(), 400, "input", "invalid_argument", "empty string"),
                Arguments.of("empty list", request(new JsonArray()).encode(), 400, "input", "invalid_argument",
                        "empty list"),
                Arguments.of("number input", request(42).encode(), 400, "input", "invalid_argument",
                        "string or a list of strings"),
                Arguments.of("object in list", request(new JsonArray().add("ok").add(new JsonObject())).encode(), 400,
                        "input", "invalid_argument", "input[1] must be a string"),
                Arguments.of("token ids", request(new JsonArray().add(101).add(102)).encode(), 400, "input",
                        "invalid_argument", "token-id inputs are not supported"),
                Arguments.of("token id lists", request(new JsonArray().add(new JsonArray().add(101))).encode(), 400,
                        "input", "invalid_argument", "token-id inputs are not supported"),
                Arguments.of("too many inputs", request(new JsonArray(Collections.nCopies(2049, "a"))).encode(), 400,
                        "input", "invalid_argument", "2049 items; at most 2048"),
                Arguments.of("over the token limit", request(new JsonArray().add("fine").add(tooLong)).encode(), 400,
                        "input", "invalid_argument", "input[1] is 602 tokens long"),
                Arguments.of("wrong dimensions", request("x").put("dimensions", 256).encode(), 400, "dimensions",
                        "invalid_argument", "only produces 384"),
                Arguments.of("unknown encoding", request("x").put("encoding_format", "int8").encode(), 400,
                        "encoding_format", "invalid_argument", "\"int8\""),
                Arguments.of("non-string user", request("x").put("user", 7).encode(), 400, "user", "invalid_argument",
                        "user must be a string"),
                Arguments.of("oversized body", request("x".repeat(MAX_BODY + 1)).encode(), 413, null,
                        "body_too_large", "larger than " + MAX_BODY));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void rejectsBadInputInOpenAisErrorShape(String name, String body, int status, String param, String code,
            String messagePart) {
        HttpResponse<Buffer> response = post(body);

        assertThat(response.statusCode()).isEqualTo(status);
        JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("type")).isEqualTo("invalid_request_error");
        assertThat(error.getString("param")).isEqualTo(param);
        assertThat(error.containsKey("param")).isTrue();
        assertThat(error.getString("code")).isEqualTo(code);
        assertThat(error.getString("message")).contains(messagePart);
    }

    @Test
    void unknownPathsAnswerInTheSameErrorShape() {
        HttpResponse<Buffer> response = await(client.get("/v1/chat/completions").send());

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("not_found");
    }

    @Test
    void theServerKeepsServingAfterBadRequests() {
        assertThat(post("{").statusCode()).isEqualTo(400);

        assertThat(post(request("still here")).statusCode()).isEqualTo(200);
    }
}
