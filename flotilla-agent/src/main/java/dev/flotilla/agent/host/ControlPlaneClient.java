package dev.flotilla.agent.host;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The host side of the control plane's REST API, as blocking calls: list the host's machines,
 * register one, heartbeat, list a machine's workers and report on one. Calls block the calling thread (a virtual thread or the agent's
 * scheduler), never an event loop: calling from one is refused. A refusal by the server becomes a
 * {@link ControlPlaneException} with the server's code and message.
 *
 * <pre>
 *   try (ControlPlaneClient cp = ControlPlaneClient.create(URI.create("http://cp:8080"), hostToken)) {
 *       MachineInfo m = cp.register(registration);
 *       cp.heartbeat(m.id());
 *   }
 * </pre>
 */
public final class ControlPlaneClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final WebClient web;
    private final URI base;
    private final String token;
    private final Duration timeout;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A client on {@code vertx}, which the caller keeps and closes. */
    public ControlPlaneClient(Vertx vertx, URI base, String token, Duration timeout) {
        this(vertx, false, base, token, timeout);
    }

    private ControlPlaneClient(Vertx vertx, boolean ownsVertx, URI base, String token, Duration timeout) {
        this.vertx = requireNonNull(vertx, "vertx is null");
        this.ownsVertx = ownsVertx;
        this.base = checkUrl(requireNonNull(base, "base is null"));
        this.token = requireNonNull(token, "token is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        if (token.isBlank()) {
            throw new IllegalArgumentException("the host token is blank");
        }
        this.web = WebClient.create(vertx, new WebClientOptions()
                .setSsl("https".equals(this.base.getScheme()))
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis())));
    }

    /** A client with its own Vert.x instance, closed with the client; requests time out after 10 seconds. */
    public static ControlPlaneClient create(URI base, String token) {
        checkUrl(requireNonNull(base, "base is null"));
        return new ControlPlaneClient(Vertx.vertx(), true, base, token, Duration.ofSeconds(10));
    }

    public URI base() {
        return base;
    }

    /** {@code GET /api/v1/machines}: the host's machines. */
    public List<MachineInfo> machines() {
        JsonNode body = call(HttpMethod.GET, "/api/v1/machines", null);
        List<MachineInfo> out = new ArrayList<>();
        for (JsonNode m : body.path("machines")) {
            out.add(machine(m));
        }
        return List.copyOf(out);
    }

    /** {@code POST /api/v1/machines}: lists a new machine and answers it. */
    public MachineInfo register(MachineRegistration registration) {
        requireNonNull(registration, "registration is null");
        return machine(call(HttpMethod.POST, "/api/v1/machines", registration.toJson()));
    }

    /** {@code POST /api/v1/machines/{id}/heartbeat}. */
    public MachineInfo heartbeat(long machineId) {
        return machine(call(HttpMethod.POST, "/api/v1/machines/" + machineId + "/heartbeat", null));
    }

    /**
     * {@code GET /api/v1/machines/{id}/workers}: the workers the control plane wants on the
     * machine. An entry without an id, a backend, a model or a valid {@code desired}, or with a key
     * that is not base64url, makes the whole answer a {@code bad_response} naming the worker: a
     * control plane that sends it has a bug, and guessing would run the wrong thing.
     */
    public List<WorkerAssignment> workers(long machineId) {
        JsonNode body = call(HttpMethod.GET, "/api/v1/machines/" + machineId + "/workers", null);
        List<WorkerAssignment> out = new ArrayList<>();
        for (JsonNode w : body.path("workers")) {
            out.add(assignment(w));
        }
        return List.copyOf(out);
    }

    /**
     * {@code POST /api/v1/workers/{id}/report}. A worker the control plane has ended (failed,
     * preempted, deleted) is refused with status 409: the caller stops it.
     */
    public ReportAnswer report(String workerId, WorkerReport report) {
        requireNonNull(workerId, "workerId is null");
        requireNonNull(report, "report is null");
        JsonNode a = call(HttpMethod.POST, "/api/v1/workers/" + URLEncoder.encode(workerId, StandardCharsets.UTF_8)
                + "/report", report.toJson());
        return new ReportAnswer(a.path("id").asText(workerId), a.path("state").asText(""), a.path("desired").asText(""));
    }

    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        web.close();
        if (ownsVertx) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // closing is best effort: the process is usually on its way out
            }
        }
    }

    private JsonNode call(HttpMethod method, String path, Map<String, Object> body) {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("ControlPlaneClient blocks: call it off the event loop");
        }
        String basePath = base.getRawPath() == null ? "" : base.getRawPath().replaceAll("/+$", "");
        HttpRequest<Buffer> req = web.request(method, port(base), base.getHost(), basePath + path)
                .putHeader("Authorization", "Bearer " + token)
                .putHeader("Accept", "application/json")
                .timeout(timeout.toMillis());
        HttpResponse<Buffer> resp;
        try {
            var future = body == null ? req.send() : req.putHeader("Content-Type", "application/json")
                    .sendBuffer(Buffer.buffer(JSON.writeValueAsBytes(body)));
            resp = future.toCompletionStage().toCompletableFuture().get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write the request body", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlPlaneException(0, "unreachable", "interrupted while calling " + method + " " + url(path), e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new ControlPlaneException(0, "unreachable", "no control plane answered " + method + " " + url(path) + ": "
                    + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
        }
        JsonNode json = parse(resp, path);
        if (resp.statusCode() >= 400) {
            JsonNode err = json.path("error");
            String code = err.path("code").asText("http_" + resp.statusCode());
            String message = err.path("message").asText("");
            if (message.isEmpty()) {
                message = method + " " + url(path) + " answered " + resp.statusCode();
            }
            throw new ControlPlaneException(resp.statusCode(), code, message);
        }
        return json;
    }

    private JsonNode parse(HttpResponse<Buffer> resp, String path) {
        Buffer b = resp.body();
        if (b == null || b.length() == 0) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(b.getBytes());
        } catch (java.io.IOException e) {
            if (resp.statusCode() >= 400) {
                return JSON.createObjectNode();
            }
            throw new ControlPlaneException(resp.statusCode(), "bad_response", url(path) + " answered " + resp.statusCode()
                    + " with a body that is not JSON: " + e.getMessage(), e);
        }
    }

    private static MachineInfo machine(JsonNode m) {
        if (!m.path("id").canConvertToLong()) {
            throw new ControlPlaneException(200, "bad_response", "the control plane answered a machine without an id: " + m);
        }
        JsonNode hb = m.path("last_heartbeat");
        Optional<Instant> last = hb.isTextual() ? Optional.of(Instant.parse(hb.asText())) : Optional.empty();
        return new MachineInfo(m.path("id").asLong(), m.path("gpu_model").asText(""), m.path("num_gpus").asInt(),
                m.path("listed").asBoolean(true), last);
    }

    private static WorkerAssignment assignment(JsonNode w) {
        String id = w.path("id").asText("");
        try {
            List<Integer> gpus = new ArrayList<>();
            for (JsonNode g : w.path("gpus")) {
                if (!g.canConvertToInt()) {
                    throw new IllegalArgumentException("gpus must be device indexes, got " + w.path("gpus"));
                }
                gpus.add(g.asInt());
            }
            byte[] key;
            try {
                key = Base64.getUrlDecoder().decode(required(w, "key"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("key is not base64url", e);
            }
            JsonNode k = w.path("known_capacity");
            Optional<WorkerAssignment.KnownCapacity> known = k.isObject()
                    ? Optional.of(new WorkerAssignment.KnownCapacity(k.path("capacity").asDouble(),
                            k.path("requests_per_s").asDouble(), k.path("tokens_per_s").asDouble()))
                    : Optional.empty();
            return new WorkerAssignment(required(w, "id"), required(w, "endpoint_id"), w.path("endpoint").asText(""),
                    required(w, "backend"), required(w, "model"), w.path("gpu").asText(""), gpus,
                    WorkerAssignment.Desired.parse(required(w, "desired")), w.path("state").asText(""), key, known);
        } catch (IllegalArgumentException e) {
            throw new ControlPlaneException(200, "bad_response", "the control plane listed worker '" + id
                    + "' in a form the agent cannot run: " + e.getMessage(), e);
        }
    }

    /** A field as text (the control plane may send ids as numbers); missing or blank is refused by name. */
    private static String required(JsonNode w, String field) {
        JsonNode v = w.path(field);
        if (!v.isValueNode() || v.isNull() || v.asText().isBlank()) {
            throw new IllegalArgumentException(field + " is missing");
        }
        return v.asText();
    }

    private String url(String path) {
        return base.toString().replaceAll("/+$", "") + path;
    }

    private static int port(URI u) {
        if (u.getPort() > 0) {
            return u.getPort();
        }
        return "https".equals(u.getScheme()) ? 443 : 80;
    }

    private static URI checkUrl(URI u) {
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
            throw new IllegalArgumentException("the control plane URL must be http://host[:port] or https://host[:port], got '"
                    + u + "'");
        }
        return u;
    }
}
