package dev.flotilla.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.concurrent.TimeUnit;

/** A blocking HTTP client for tests, on the same Vert.x stack as the server. */
public final class TestHttp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Vertx vertx = Vertx.vertx();
    private final WebClient client;
    private final String base;

    public TestHttp(String base) {
        this.base = base;
        this.client = WebClient.create(vertx, new WebClientOptions(), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(64));
    }

    /** Status, headers we care about, and the parsed JSON (or raw text) of one response. */
    public record Response(int status, String body, String header) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    public Response call(HttpMethod method, String path, String key, String body) {
        return call(method, path, key, body, "application/json");
    }

    public Response call(HttpMethod method, String path, String key, String body, String contentType) {
        HttpRequest<Buffer> req = client.requestAbs(method, base + path);
        if (key != null) {
            req.putHeader("Authorization", "Bearer " + key);
        }
        try {
            HttpResponse<Buffer> r;
            if (body != null) {
                req.putHeader("content-type", contentType);
                r = req.sendBuffer(Buffer.buffer(body)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } else {
                r = req.send().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            return new Response(r.statusCode(), r.bodyAsString(), r.getHeader("WWW-Authenticate"));
        } catch (Exception e) {
            throw new AssertionError("request failed: " + method + " " + path, e);
        }
    }

    public Response get(String path, String key) {
        return call(HttpMethod.GET, path, key, null);
    }

    public Response post(String path, String key, String body) {
        return call(HttpMethod.POST, path, key, body);
    }

    @Override
    public void close() {
        client.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }
}
