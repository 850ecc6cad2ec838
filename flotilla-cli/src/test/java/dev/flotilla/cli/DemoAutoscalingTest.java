package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.server.FlotillaServer;
import dev.flotilla.server.config.FlotillaConfig;
import dev.flotilla.server.demo.DemoMarket;
import dev.flotilla.store.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The "done when" for the live loop, on what {@code flotilla demo} brings up: load on the
 * LLM endpoint makes its policy scale it up (real agents, real model-server processes, the
 * gateway's load through the database to the policy), and once the load stops it goes back to
 * zero, keeping one worker cold; the next request wakes it from that cold worker. The endpoint's
 * idle time before zero is 15 s here instead of the demo's 2 minutes.
 */
class DemoAutoscalingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private FlotillaServer server;
    private DemoServing demo;
    private String key;

    @AfterEach
    void stop() {
        if (demo != null) {
            demo.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url() + path))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private JsonNode llm() throws Exception {
        return get("/api/v1/endpoints/" + DemoServing.LLM);
    }

    private JsonNode awaitEndpoint(Duration within, String what, Predicate<JsonNode> condition) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        JsonNode e = llm();
        while (!condition.test(e)) {
            assertThat(System.nanoTime()).as(what + " within " + within + "; last: " + e).isLessThan(deadline);
            Thread.sleep(500);
            e = llm();
        }
        return e;
    }

    private CompletableFuture<HttpResponse<String>> chat() {
        return http.sendAsync(HttpRequest.newBuilder(URI.create(server.openAiUrl().orElseThrow() + "/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"" + DemoServing.LLM + "\", \"messages\":"
                        + " [{\"role\": \"user\", \"content\": \"hello there\"}], \"max_tokens\": 16}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int ready(JsonNode endpoint) {
        int n = 0;
        for (JsonNode w : endpoint.path("workers")) {
            n += w.path("state").asText().equals("ready") ? 1 : 0;
        }
        return n;
    }

    @Test
    void aLoadedEndpointScalesUpThenBackToZeroAndWakesFromItsColdWorker() throws Exception {
        server = FlotillaServer.start(FlotillaConfig.load(Optional.empty(), Map.of(), Map.of("http.port", "0",
                "gateway.port", "0", "serving.autoscale-interval", "1s", "gateway.requests-per-minute", "60000",
                "gateway.tokens-per-minute", "100000000")), InstantSource.system(), TestDatabases.open());
        DemoMarket.Credentials creds = DemoMarket.ensure(server.market(), 42);
        key = creds.tenantKey();
        demo = DemoServing.start(server.url(), creds.hostToken(), key, Files.createTempDirectory("flotilla-autoscale"),
                Duration.ofSeconds(15));
        assertThat(demo.awaitReady(Duration.ofMinutes(3))).isTrue();
        assertThat(llm().path("policy").asText()).isEqualTo("predictive");

        // ~80 requests/s for 25 s: more than one emulated worker carries at 70% utilisation
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        Semaphore inFlight = new Semaphore(256);
        List<String> decisions = new ArrayList<>();
        long start = System.nanoTime();
        int sent = 0;
        while (System.nanoTime() - start < Duration.ofSeconds(25).toNanos()) {
            long due = (System.nanoTime() - start) * 80 / 1_000_000_000L;
            for (; sent < due; sent++) {
                if (inFlight.tryAcquire()) {
                    chat().whenComplete((r, t) -> {
                        inFlight.release();
                        (t == null && r.statusCode() == 200 ? ok : failed).incrementAndGet();
                    });
                }
            }
            Thread.sleep(10);
            if (sent % 400 == 0) {
                decisions.add(llm().path("decision").path("reason").asText());
            }
        }
        JsonNode up = awaitEndpoint(Duration.ofSeconds(120), "two ready workers", e -> ready(e) == 2);
        assertThat(up.path("desired_workers").asInt()).isEqualTo(2);
        inFlight.acquire(256);
        inFlight.release(256);
        assertThat(ok.get()).as("requests answered (%d failed; decisions %s)", failed.get(), decisions)
                .isGreaterThan(sent / 2);

        // idle: panic ends a stable window after the burst, then 15 s idle + 30 s grace, then zero
        JsonNode zero = awaitEndpoint(Duration.ofMinutes(5), "scaled to zero",
                e -> e.path("desired_workers").asInt() == 0 && e.path("workers").isEmpty());
        assertThat(zero.path("decision").path("mode").asText()).as(zero.toString()).isEqualTo("scale-to-zero");
        JsonNode all = get("/api/v1/endpoints/" + DemoServing.LLM + "/workers?all=true");
        List<JsonNode> parked = new ArrayList<>();
        all.path("workers").forEach(w -> {
            if (w.path("cold").asText().equals("parked")) {
                parked.add(w);
            }
        });
        assertThat(parked).as(all.toString()).hasSize(1);

        // the next request waits in the gateway's queue while the cold worker resumes
        HttpResponse<String> woke = chat().get();
        assertThat(woke.statusCode()).as(woke.body()).isEqualTo(200);
        // (the policy may ask for more than one: the forecast still remembers the burst)
        JsonNode woken = llm();
        List<JsonNode> resumed = new ArrayList<>();
        woken.path("workers").forEach(w -> {
            if (w.path("resumed_from").asLong() == parked.get(0).path("id").asLong()) {
                resumed.add(w);
            }
        });
        assertThat(resumed).as(woken.toString()).hasSize(1);
        assertThat(resumed.get(0).path("rental_id").asLong()).isEqualTo(parked.get(0).path("rental_id").asLong());
        List<String> reasons = new ArrayList<>();
        get("/api/v1/workers/" + resumed.get(0).path("id").asText()).path("events")
                .forEach(ev -> reasons.add(ev.path("reason").asText()));
        assertThat(reasons).as("no benchmark: the parked worker's stands")
                .anyMatch(r -> r.startsWith("resumed from a cold worker on this rental"));
    }
}
