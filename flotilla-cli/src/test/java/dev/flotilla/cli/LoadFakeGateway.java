package dev.flotilla.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A small OpenAI-compatible server for the load tests, on 127.0.0.1 and an ephemeral port: it
 * records when each request arrived and what it asked for, and answers chat and completions
 * (whole, or as an SSE stream when asked), embeddings, and whatever error or delay the test's plan
 * says for the n-th request.
 */
final class LoadFakeGateway implements AutoCloseable {
    /** What arrived. */
    record Received(long nanos, String path, String authorization, JsonNode body) {}

    /** How to answer the n-th request (0-based, in arrival order). */
    sealed interface Answer {}

    /** Answer normally after {@code delayMs}; a stream waits {@code delayMs} before its first token and stalls forever when {@code stall}. */
    record Ok(long delayMs, boolean stall) implements Answer {}

    /** Answer {@code status} in OpenAI's error shape with {@code code}. */
    record Error(int status, String code) implements Answer {}

    static final Answer OK = new Ok(0, false);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile IntFunction<Answer> plan = n -> OK;
    private final List<String> models = List.of("m", "llama-3.1-8b", "all-minilm-l6-v2");
    private volatile String requiredKey;

    LoadFakeGateway() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(threads);
        for (String path : List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings")) {
            server.createContext(path, this::handle);
        }
        server.createContext("/v1/models", this::models);
        server.start();
    }

    /** {@code GET /v1/models} answers 401 to any other key. */
    LoadFakeGateway requiringKey(String key) {
        this.requiredKey = key;
        return this;
    }

    private void models(HttpExchange ex) throws IOException {
        try (ex) {
            if (requiredKey != null && !("Bearer " + requiredKey).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                send(ex, 401, "{\"error\":{\"message\":\"invalid API key\",\"type\":\"authentication_error\",\"param\":null,"
                        + "\"code\":\"invalid_api_key\"}}");
                return;
            }
            send(ex, 200, JSON.writeValueAsString(Map.of("object", "list", "data", models.stream().map(id -> Map.of("id", id)).toList())));
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    LoadFakeGateway answering(IntFunction<Answer> newPlan) {
        this.plan = newPlan;
        return this;
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange ex) throws IOException {
        long arrived = System.nanoTime();
        try (ex) {
            JsonNode body = JSON.readTree(ex.getRequestBody());
            int n = count.getAndIncrement();
            received.add(new Received(arrived, ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("Authorization"), body));
            Answer answer = plan.apply(n);
            if (answer instanceof Error e) {
                send(ex, e.status(), "{\"error\":{\"message\":\"planned " + e.code() + "\",\"type\":\"server_error\",\"param\":null,"
                        + "\"code\":\"" + e.code() + "\"}}");
                return;
            }
            Ok ok = (Ok) answer;
            String path = ex.getRequestURI().getPath();
            int prompt = (body.path(path.endsWith("embeddings") ? "input" : path.endsWith("chat/completions") ? "messages" : "prompt")
                    .toString().length() + 3) / 4;
            int completion = body.path("max_tokens").asInt(0);
            String usage = "{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":" + completion + ",\"total_tokens\":"
                    + (prompt + completion) + "}";
            if (body.path("stream").asBoolean(false)) {
                stream(ex, ok, usage, path.endsWith("chat/completions"));
                return;
            }
            sleep(ok.delayMs());
            if (path.endsWith("embeddings")) {
                send(ex, 200, "{\"object\":\"list\",\"model\":\"m\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.6,0.8]}],"
                        + "\"usage\":{\"prompt_tokens\":" + prompt + ",\"total_tokens\":" + prompt + "}}");
            } else {
                send(ex, 200, "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                        + "\"content\":\"hello\"},\"finish_reason\":\"stop\"}],\"usage\":" + usage + "}");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void stream(HttpExchange ex, Ok ok, String usage, boolean chat) throws IOException, InterruptedException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        String role = chat ? "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"
                : "{\"choices\":[{\"index\":0,\"text\":\"\"}]}";
        event(out, role);
        sleep(ok.delayMs());
        if (ok.stall()) {
            sleep(60_000);
        }
        for (int i = 0; i < 3; i++) {
            event(out, chat ? "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok\"}}]}" : "{\"choices\":[{\"index\":0,\"text\":\"tok\"}]}");
        }
        event(out, "{\"choices\":[],\"usage\":" + usage + "}");
        event(out, "[DONE]");
    }

    private static void event(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static void sleep(long ms) throws InterruptedException {
        if (ms > 0) {
            Thread.sleep(ms);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
