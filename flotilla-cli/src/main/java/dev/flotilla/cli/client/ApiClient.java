package dev.flotilla.cli.client;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A blocking client of the control plane's {@code /api/v1}, for one CLI invocation: it owns a
 * private Vert.x instance, closed with the client. Every non-2xx answer becomes a
 * {@link CliException} carrying the server's error code and message; a server that does not
 * answer at all becomes {@link CliException#UNREACHABLE}.
 *
 * <pre>
 *   try (ApiClient api = new ApiClient(connection)) {
 *       JsonNode balance = api.get("/api/v1/balance", Map.of());
 *   }
 * </pre>
 */
public final class ApiClient implements AutoCloseable {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final ConnectionOptions.Connection connection;
    private final Vertx vertx;
    private final WebClient web;

    public ApiClient(ConnectionOptions.Connection connection) {
        this.connection = requireNonNull(connection, "connection is null");
        this.vertx = Vertx.vertx();
        this.web = WebClient.create(vertx, new WebClientOptions()
                .setConnectTimeout((int) CONNECT_TIMEOUT.toMillis())
                .setUserAgent("flotilla-cli"));
    }

    String url() {
        return connection.url();
    }

    public JsonNode get(String path, Map<String, String> query) {
        return send(HttpMethod.GET, path, query, Optional.empty());
    }

    public JsonNode post(String path, Object body) {
        return send(HttpMethod.POST, path, Map.of(), Optional.of(body));
    }

    /** A POST whose route takes no body (stop, unlist, ...). */
    JsonNode post(String path) {
        return send(HttpMethod.POST, path, Map.of(), Optional.empty());
    }

    public JsonNode patch(String path, Object body) {
        return send(HttpMethod.PATCH, path, Map.of(), Optional.of(body));
    }

    JsonNode delete(String path) {
        return send(HttpMethod.DELETE, path, Map.of(), Optional.empty());
    }

    private JsonNode send(HttpMethod method, String path, Map<String, String> query, Optional<Object> body) {
        HttpRequest<Buffer> req = web.requestAbs(method, connection.url() + path)
                .timeout(REQUEST_TIMEOUT.toMillis())
                .putHeader("Accept", "application/json");
        // addQueryParam encodes each name and value, so query text such as 'dph<1 gpu_name=RTX 4090' travels intact
        query.forEach(req::addQueryParam);
        connection.apiKey().ifPresent(k -> req.putHeader("Authorization", "Bearer " + k));
        Future<HttpResponse<Buffer>> sent;
        if (body.isPresent()) {
            req.putHeader("Content-Type", "application/json");
            sent = req.sendBuffer(Buffer.buffer(Json.bytes(body.get())));
        } else {
            sent = req.send();
        }
        HttpResponse<Buffer> resp = await(sent);
        String text = resp.body() == null ? "" : resp.body().toString();
        if (resp.statusCode() >= 200 && resp.statusCode() < 300) {
            try {
                return Json.parse(text);
            } catch (JsonProcessingException e) {
                throw new CliException(CliException.SERVER, "bad_response", method + " " + path + " answered "
                        + resp.statusCode() + " with a body that is not JSON: " + Json.abbreviate(text));
            }
        }
        throw error(resp.statusCode(), text);
    }

    private HttpResponse<Buffer> await(Future<HttpResponse<Buffer>> f) {
        try {
            // the request's own timeout fires first; this bound only guards against a lost callback
            return f.toCompletionStage().toCompletableFuture()
                    .get(REQUEST_TIMEOUT.plus(CONNECT_TIMEOUT).toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unreachable(e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.UNREACHABLE, "interrupted", "interrupted while waiting for " + connection.url());
        }
    }

    private CliException unreachable(Throwable cause) {
        String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new CliException(CliException.UNREACHABLE, "unreachable", "cannot reach the Flotilla server at "
                + connection.url() + " (" + why + "); start one with ./flotilla demo, or point --url or "
                + ClientEnvironment.URL + " at a running server");
    }

    /** The server's error shape, {@code {"error":{"code":..,"message":..}}}, or the bare status when it is not that. */
    static CliException error(int status, String text) {
        int exit = CliException.exitCodeForStatus(status);
        try {
            JsonNode e = Json.parse(text).path("error");
            if (e.path("message").isTextual()) {
                String code = e.path("code").isTextual() ? e.path("code").asText() : "http_" + status;
                return new CliException(exit, code, e.path("message").asText());
            }
        } catch (JsonProcessingException e) {
            // not the error shape: a proxy or another server answered
        }
        String detail = text.isBlank() ? "" : ": " + Json.abbreviate(text);
        return new CliException(exit, "http_" + status, "the server answered HTTP " + status + detail);
    }

    @Override
    public void close() {
        web.close();
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // nothing is left to do with it; the process is ending
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
