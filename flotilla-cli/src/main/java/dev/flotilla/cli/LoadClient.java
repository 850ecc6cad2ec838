package dev.flotilla.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.cli.client.CliException;
import dev.flotilla.traces.TraceRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends replayed requests to an OpenAI-compatible server: one {@link HttpClient} (HTTP/1.1,
 * connections kept alive and reused), each exchange on a virtual thread of its own with plain
 * blocking code, so that a streamed answer is read line by line as it arrives and its first token
 * timed. Every request has one deadline, {@code timeout} from the send to the last byte: a
 * watchdog interrupts the exchange when it passes (the JDK client's own timeout covers the
 * response head only, not a stream that stalls).
 *
 * <p>The outcome is always an {@link LoadOutcome}, never an exception: a non-2xx answer with its
 * OpenAI error code ({@code error.code}, else {@code error.type}, else {@code http_<status>}); an
 * error event inside a 200 stream, or a stream cut before {@code data: [DONE]}; or no answer at
 * all ({@code connection_refused}, {@code connect_timeout}, {@code timeout}, {@code io_error}).
 */
final class LoadClient implements LoadReplay.Sender, AutoCloseable {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** An error body is read up to this much; the rest is not worth the memory. */
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where requests go: the OpenAI base URL (ending in {@code /v1}) and the key to present. */
    record Target(URI baseUrl, Optional<String> apiKey) {
        Target {
            requireNonNull(baseUrl, "baseUrl is null");
            requireNonNull(apiKey, "apiKey is null");
        }
    }

    private final Target target;
    private final URI endpoint;
    private final LoadRequests requests;
    private final Duration timeout;
    private final LoadClock clock;
    private final ExecutorService threads;
    private final ScheduledExecutorService watchdog;
    private final HttpClient http;

    LoadClient(Target target, LoadRequests requests, Duration timeout, LoadClock clock) {
        this.target = requireNonNull(target, "target is null");
        this.requests = requireNonNull(requests, "requests is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.clock = requireNonNull(clock, "clock is null");
        String base = target.baseUrl().toString();
        this.endpoint = URI.create((base.endsWith("/") ? base : base + "/") + requests.api().path);
        // the executors of this client, made here; an exchange catches everything, so the handler is the last resort
        Thread.UncaughtExceptionHandler report = (t, e) -> System.err.println("flotilla load: " + t.getName() + " failed: " + e);
        this.threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("load-request-", 0)
                .uncaughtExceptionHandler(report).factory());
        this.watchdog = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("load-watchdog").daemon()
                .uncaughtExceptionHandler(report).factory());
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The URL requests are posted to, e.g. {@code http://127.0.0.1:8081/v1/chat/completions}. */
    URI endpoint() {
        return endpoint;
    }

    /**
     * {@code GET models}, before the replay starts: fails fast when the gateway is not there (exit
     * 7) or refuses the key (exit 3), and returns the models it serves this key, empty when the
     * server has no such route. It also opens the first connection and loads the client's classes,
     * so that the replay's first send does not arrive late for them.
     */
    Optional<List<String>> models() {
        String base = target.baseUrl().toString();
        URI uri = URI.create((base.endsWith("/") ? base : base + "/") + "models");
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).header("Accept", "application/json")
                .header("User-Agent", "flotilla-load").GET();
        target.apiKey().ifPresent(k -> b.header("Authorization", "Bearer " + k));
        HttpResponse<String> resp;
        try {
            resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CliException(CliException.UNREACHABLE, "unreachable", "cannot reach the gateway at " + target.baseUrl() + " ("
                    + message(e) + "); start one with ./flotilla demo, or point --base-url at a running gateway");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.UNREACHABLE, "interrupted", "interrupted while checking " + uri);
        }
        if (resp.statusCode() == 401 || resp.statusCode() == 403) {
            LoadOutcome o = error(resp.statusCode(), resp.body(), 0);
            throw new CliException(CliException.AUTH, o.code(), "the gateway at " + target.baseUrl() + " refused the API key: "
                    + o.detail());
        }
        if (resp.statusCode() != 200) {
            return Optional.empty();
        }
        try {
            List<String> ids = new ArrayList<>();
            for (JsonNode m : JSON.readTree(resp.body()).path("data")) {
                ids.add(m.path("id").asText());
            }
            return Optional.of(ids);
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    @Override
    public CompletableFuture<LoadOutcome> send(long index, TraceRequest request) {
        // The body (up to thousands of random words, then JSON) is built on the request's own thread,
        // not on the replay's scheduling thread, where it would delay the next send.
        return CompletableFuture.supplyAsync(() -> exchange(requests.body(index, request)), threads);
    }

    private LoadOutcome exchange(byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint).timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", requests.stream() ? "text/event-stream" : "application/json")
                .header("User-Agent", "flotilla-load")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        target.apiKey().ifPresent(k -> b.header("Authorization", "Bearer " + k));
        Thread self = Thread.currentThread();
        AtomicBoolean expired = new AtomicBoolean();
        long t0 = clock.nanos();
        ScheduledFuture<?> guard = watchdog.schedule(() -> {
            expired.set(true);
            self.interrupt();
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        try {
            HttpResponse<InputStream> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = resp.body()) {
                int status = resp.statusCode();
                if (status < 200 || status > 299) {
                    String text = new String(in.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
                    return error(status, text, clock.nanos() - t0);
                }
                boolean sse = resp.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT)
                        .startsWith("text/event-stream");
                return sse ? readStream(in, t0) : readJson(status, in, t0);
            }
        } catch (HttpConnectTimeoutException e) {
            return LoadOutcome.noResponse("connect_timeout", "no connection to " + endpoint + " within " + CONNECT_TIMEOUT.toSeconds()
                    + " s", clock.nanos() - t0);
        } catch (HttpTimeoutException e) {
            return timedOut(t0);
        } catch (ConnectException e) {
            return LoadOutcome.noResponse("connection_refused", "cannot connect to " + endpoint + ": " + message(e), clock.nanos() - t0);
        } catch (IOException e) {
            return expired.get() ? timedOut(t0) : LoadOutcome.noResponse("io_error", message(e), clock.nanos() - t0);
        } catch (InterruptedException e) {
            return expired.get() ? timedOut(t0) : LoadOutcome.noResponse("interrupted", "the client stopped", clock.nanos() - t0);
        } catch (RuntimeException e) {
            return LoadOutcome.noResponse("client_error", e.toString(), clock.nanos() - t0);
        } finally {
            guard.cancel(false);
            Thread.interrupted(); // a watchdog that fired just as the exchange ended leaves nothing behind
        }
    }

    private LoadOutcome timedOut(long t0) {
        return LoadOutcome.noResponse("timeout", "no complete answer within " + timeout.toSeconds() + " s (--timeout)",
                clock.nanos() - t0);
    }

    private LoadOutcome readJson(int status, InputStream in, long t0) throws IOException {
        byte[] bytes = in.readAllBytes();
        long latency = clock.nanos() - t0;
        try {
            JsonNode usage = JSON.readTree(bytes).path("usage");
            return LoadOutcome.ok(status, latency, OptionalLong.empty(), usage.path("prompt_tokens").asLong(0),
                    usage.path("completion_tokens").asLong(0));
        } catch (IOException e) {
            // a 2xx whose body is not JSON was still answered; there is just no usage to count
            return LoadOutcome.ok(status, latency, OptionalLong.empty(), 0, 0);
        }
    }

    /** Reads {@code data:} events up to {@code [DONE]}; the first one carrying text times the first token. */
    private LoadOutcome readStream(InputStream in, long t0) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        OptionalLong ttft = OptionalLong.empty();
        long promptTokens = 0;
        long completionTokens = 0;
        String line;
        while ((line = reader.readLine()) != null) {
            if (!line.startsWith("data:")) {
                continue;
            }
            String data = line.substring(5).strip();
            if (data.equals("[DONE]")) {
                return LoadOutcome.ok(200, clock.nanos() - t0, ttft, promptTokens, completionTokens);
            }
            JsonNode event;
            try {
                event = JSON.readTree(data);
            } catch (JsonProcessingException e) {
                continue; // not an event this client understands; the stream's end decides the outcome
            }
            if (event.has("error")) {
                JsonNode e = event.get("error");
                return LoadOutcome.streamError(code(e, "stream_error"), e.path("message").asText("error event in the stream"),
                        clock.nanos() - t0, ttft);
            }
            if (ttft.isEmpty() && hasText(event)) {
                ttft = OptionalLong.of(clock.nanos() - t0);
            }
            JsonNode usage = event.path("usage");
            if (usage.isObject()) {
                promptTokens = usage.path("prompt_tokens").asLong(promptTokens);
                completionTokens = usage.path("completion_tokens").asLong(completionTokens);
            }
        }
        return LoadOutcome.streamError("stream_truncated", "the stream ended without data: [DONE]", clock.nanos() - t0, ttft);
    }

    private static boolean hasText(JsonNode event) {
        JsonNode choice = event.path("choices").path(0);
        return !choice.path("delta").path("content").asText("").isEmpty() || !choice.path("text").asText("").isEmpty();
    }

    /** An error answer: OpenAI's shape when it is that, else the bare status. */
    static LoadOutcome error(int status, String text, long latencyNanos) {
        try {
            JsonNode e = JSON.readTree(text).path("error");
            if (e.isObject()) {
                return LoadOutcome.httpError(status, code(e, "http_" + status), e.path("message").asText(""), latencyNanos);
            }
        } catch (JsonProcessingException e) {
            // not the OpenAI shape: a proxy or another server answered
        }
        String body = text.strip();
        return LoadOutcome.httpError(status, "http_" + status, body.length() > 200 ? body.substring(0, 200) + "..." : body,
                latencyNanos);
    }

    private static String code(JsonNode error, String otherwise) {
        if (error.path("code").isTextual() && !error.path("code").asText().isBlank()) {
            return error.path("code").asText();
        }
        if (error.path("type").isTextual() && !error.path("type").asText().isBlank()) {
            return error.path("type").asText();
        }
        return otherwise;
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    @Override
    public void close() {
        http.shutdownNow();
        threads.shutdownNow();
        watchdog.shutdownNow();
    }
}
