package dev.flotilla.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BatcherTest {
    private static final Duration FOREVER = Duration.ofHours(1);

    /** A fake model: records each batch it is given and answers "x" -> "X". */
    private static final class RecordingFunction implements Batcher.BatchFunction<String, String> {
        final List<List<String>> calls = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch release;

        RecordingFunction(CountDownLatch release) {
            this.release = release;
        }

        @Override
        public List<String> apply(List<String> batch) throws Exception {
            calls.add(List.copyOf(batch));
            release.await();
            return batch.stream().map(s -> s.toUpperCase(java.util.Locale.ROOT)).toList();
        }
    }

    private static Batcher<String, String> batcher(Batcher.BatchFunction<String, String> function, int maxSize,
            Duration maxWait) {
        return new Batcher<>(function, new BatchPolicy(maxSize, maxWait), InstantSource.system(),
                Thread.ofPlatform().daemon(true).factory());
    }

    @Test
    void runsAFullBatchWithoutWaitingForTheWindow() throws Exception {
        RecordingFunction function = new RecordingFunction(new CountDownLatch(0));
        try (Batcher<String, String> batcher = batcher(function, 4, FOREVER)) {
            List<CompletableFuture<List<String>>> futures = new ArrayList<>();
            for (String s : List.of("a", "b", "c", "d")) {
                futures.add(batcher.submit(List.of(s)));
            }

            // With an hour-long window only the size trigger can complete these in time.
            for (int i = 0; i < 4; i++) {
                assertThat(futures.get(i).get(10, TimeUnit.SECONDS))
                        .containsExactly(List.of("A", "B", "C", "D").get(i));
            }
            assertThat(function.calls).containsExactly(List.of("a", "b", "c", "d"));
        }
    }

    @Test
    void runsALoneRequestOnceTheWindowCloses() throws Exception {
        RecordingFunction function = new RecordingFunction(new CountDownLatch(0));
        try (Batcher<String, String> batcher = batcher(function, 32, Duration.ofMillis(5))) {
            assertThat(batcher.submit(List.of("solo")).get(10, TimeUnit.SECONDS)).containsExactly("SOLO");
            assertThat(function.calls).containsExactly(List.of("solo"));
        }
    }

    @Test
    void requestsQueuedWhileTheModelIsBusyShareTheNextCall() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        RecordingFunction function = new RecordingFunction(release);
        try (Batcher<String, String> batcher = batcher(function, 32, Duration.ofMillis(5))) {
            CompletableFuture<List<String>> first = batcher.submit(List.of("first"));
            while (function.calls.isEmpty()) {
                Thread.onSpinWait();
            }
            List<CompletableFuture<List<String>>> waiting = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                waiting.add(batcher.submit(List.of("r" + i, "s" + i)));
            }
            release.countDown();

            assertThat(first.get(10, TimeUnit.SECONDS)).containsExactly("FIRST");
            for (int i = 0; i < 8; i++) {
                assertThat(waiting.get(i).get(10, TimeUnit.SECONDS)).containsExactly("R" + i, "S" + i);
            }
            assertThat(function.calls).hasSize(2);
            assertThat(function.calls.get(1)).hasSize(16);
            assertThat(batcher.stats()).isEqualTo(new Batcher.Stats(2, 17));
        }
    }

    @Test
    void splitsARequestLargerThanTheBatchAndReassemblesItInOrder() throws Exception {
        RecordingFunction function = new RecordingFunction(new CountDownLatch(0));
        try (Batcher<String, String> batcher = batcher(function, 3, Duration.ZERO)) {
            List<String> out = batcher.submit(List.of("a", "b", "c", "d", "e", "f", "g")).get(10, TimeUnit.SECONDS);

            assertThat(out).containsExactly("A", "B", "C", "D", "E", "F", "G");
            assertThat(function.calls).allSatisfy(call -> assertThat(call.size()).isLessThanOrEqualTo(3));
        }
    }

    @Test
    void aPieceThatDoesNotFitIsCarriedToTheNextBatch() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        RecordingFunction function = new RecordingFunction(release);
        try (Batcher<String, String> batcher = batcher(function, 4, Duration.ofMillis(5))) {
            CompletableFuture<List<String>> blocker = batcher.submit(List.of("x"));
            while (function.calls.isEmpty()) {
                Thread.onSpinWait();
            }
            CompletableFuture<List<String>> three = batcher.submit(List.of("a", "b", "c"));
            CompletableFuture<List<String>> two = batcher.submit(List.of("d", "e"));
            release.countDown();

            assertThat(blocker.get(10, TimeUnit.SECONDS)).containsExactly("X");
            assertThat(three.get(10, TimeUnit.SECONDS)).containsExactly("A", "B", "C");
            assertThat(two.get(10, TimeUnit.SECONDS)).containsExactly("D", "E");
            assertThat(function.calls).containsExactly(List.of("x"), List.of("a", "b", "c"), List.of("d", "e"));
        }
    }

    @Test
    void aFailingBatchFailsItsRequestsAndTheWorkerCarriesOn() throws Exception {
        Batcher.BatchFunction<String, String> function = batch -> {
            if (batch.contains("boom")) {
                throw new IllegalStateException("model exploded");
            }
            return batch;
        };
        try (Batcher<String, String> batcher = batcher(function, 32, Duration.ZERO)) {
            assertThatThrownBy(() -> batcher.submit(List.of("boom")).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasRootCauseMessage("model exploded");

            assertThat(batcher.submit(List.of("fine")).get(10, TimeUnit.SECONDS)).containsExactly("fine");
        }
    }

    @Test
    void aFunctionReturningTheWrongNumberOfOutputsFailsTheBatch() {
        try (Batcher<String, String> batcher = batcher(batch -> List.of(), 32, Duration.ZERO)) {
            assertThatThrownBy(() -> batcher.submit(List.of("a")).get(10, TimeUnit.SECONDS))
                    .hasRootCauseMessage("batch function returned 0 outputs for 1 inputs");
        }
    }

    @Test
    void closingFinishesAcceptedRequestsAndRefusesNewOnes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        RecordingFunction function = new RecordingFunction(release);
        Batcher<String, String> batcher = batcher(function, 1, Duration.ZERO);
        CompletableFuture<List<String>> running = batcher.submit(List.of("running"));
        while (function.calls.isEmpty()) {
            Thread.onSpinWait();
        }
        CompletableFuture<List<String>> queued = batcher.submit(List.of("queued"));
        Thread closer = Thread.ofPlatform().start(batcher::close);
        while (!batcher.submit(List.of("late")).isCompletedExceptionally()) {
            Thread.onSpinWait();
        }
        release.countDown();
        closer.join(10_000);

        assertThat(closer.isAlive()).isFalse();
        assertThat(running.get(10, TimeUnit.SECONDS)).containsExactly("RUNNING");
        assertThat(queued.get(10, TimeUnit.SECONDS)).containsExactly("QUEUED");
        assertThatThrownBy(() -> batcher.submit(List.of("later")).join()).hasRootCauseMessage("batcher is closed");
    }

    /** A clock that only moves when the test says so. */
    private static final class FakeClock implements InstantSource {
        private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

        @Override
        public Instant instant() {
            return now.get();
        }

        void advance(Duration by) {
            now.updateAndGet(t -> t.plus(by));
        }
    }

    @Test
    void theWindowClosesOnTheInjectedClockNotTheWallClock() throws Exception {
        FakeClock clock = new FakeClock();
        RecordingFunction function = new RecordingFunction(new CountDownLatch(0));
        try (Batcher<String, String> batcher = new Batcher<>(function, new BatchPolicy(32, Duration.ofMillis(1)),
                clock, Thread.ofPlatform().daemon(true).factory())) {
            CompletableFuture<List<String>> a = batcher.submit(List.of("a"));
            // Fifty wall-clock windows pass, but no time passes on the injected clock.
            Thread.sleep(50);
            assertThat(a).isNotDone();
            CompletableFuture<List<String>> b = batcher.submit(List.of("b"));

            clock.advance(Duration.ofMillis(1));

            assertThat(a.get(10, TimeUnit.SECONDS)).containsExactly("A");
            assertThat(b.get(10, TimeUnit.SECONDS)).containsExactly("B");
            assertThat(function.calls).containsExactly(List.of("a", "b"));
        }
    }

    @Test
    void concurrentRequestsToTheRealModelAreBatchedAndEachGetsItsOwnVectors() throws Exception {
        EmbeddingModel model = SharedModel.get();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            texts.add("request number " + i + " asks about " + List.of("GPUs", "prices", "weather", "music").get(i % 4));
        }
        try (Batcher<TokenizedText, float[]> batcher = new Batcher<>(
                        batch -> List.of(model.embedTokenized(batch)), new BatchPolicy(32, Duration.ofMillis(20)),
                        InstantSource.system(), Thread.ofPlatform().daemon(true).factory());
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<List<float[]>>> answers = new ArrayList<>();
            for (String text : texts) {
                answers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return batcher.submit(List.of(model.tokenize(text))).join();
                }, clients));
            }
            start.countDown();

            for (int i = 0; i < texts.size(); i++) {
                float[] batched = answers.get(i).get(60, TimeUnit.SECONDS).getFirst();
                float[] alone = model.embed(List.of(texts.get(i)))[0];
                assertThat(batched).containsExactly(alone, within(1e-5f));
            }
            assertThat(batcher.stats().inputs()).isEqualTo(texts.size());
            assertThat(batcher.stats().batches()).isLessThan(texts.size());
        }
    }
}
