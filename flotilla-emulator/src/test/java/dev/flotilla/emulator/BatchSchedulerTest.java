package dev.flotilla.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.engine.Deployment;
import dev.flotilla.engine.EngineModel;
import dev.flotilla.engine.KvPrecision;
import dev.flotilla.engine.ModelCatalog;
import dev.flotilla.engine.SchedulerLimits;
import dev.flotilla.engine.WeightPrecision;
import dev.flotilla.market.gpu.GpuCatalog;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BatchSchedulerTest {
    private static final EngineModel ENGINE = EngineModel.calibrated();
    private static final Deployment H100 = new Deployment(ModelCatalog.defaultCatalog().get("Llama-3.1-8B"),
            GpuCatalog.defaultCatalog().byId("H100_SXM").orElseThrow(), 1, WeightPrecision.BF16, KvPrecision.BITS_16);

    private static SequenceRequest request(long id, int prompt, int maxTokens, int textLength) {
        return new SequenceRequest(id, prompt, maxTokens, Collections.nCopies(textLength, " word"));
    }

    /** Ticks until idle; every event, in order. */
    private static List<TokenEvent> drain(BatchScheduler s) {
        List<TokenEvent> events = new ArrayList<>();
        for (Optional<StepResult> r = s.step(); r.isPresent(); r = s.step()) {
            events.addAll(r.get().events());
        }
        return events;
    }

    private static Map<Long, Double> firstTokenTimes(List<TokenEvent> events) {
        Map<Long, Double> ttft = new HashMap<>();
        for (TokenEvent e : events) {
            if (e.first()) {
                ttft.put(e.requestId(), e.atSeconds());
            }
        }
        return ttft;
    }

    @Test
    void timeToFirstTokenGrowsWithQueueLength() {
        BatchScheduler lone = BatchScheduler.of(ENGINE, H100);
        lone.submit(request(1, 4000, 8, 100));
        double loneTtft = firstTokenTimes(drain(lone)).get(1L);

        BatchScheduler busy = BatchScheduler.of(ENGINE, H100);
        for (long id = 1; id <= 8; id++) {
            busy.submit(request(id, 4000, 8, 100));
        }
        Map<Long, Double> ttft = firstTokenTimes(drain(busy));

        assertThat(ttft).hasSize(8);
        // The token budget (8,192) prefills two 4,000-token prompts a step, so later arrivals wait.
        assertThat(ttft.get(8L)).isGreaterThan(ttft.get(1L) * 2);
        double mean = ttft.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertThat(mean).isGreaterThan(loneTtft * 1.5);
        for (long id = 2; id <= 8; id++) {
            assertThat(ttft.get(id)).isGreaterThanOrEqualTo(ttft.get(id - 1));
        }
    }

    @Test
    void largerBatchMakesDecodeStepsLonger() {
        assertThat(decodeStepSeconds(64)).isGreaterThan(decodeStepSeconds(1) * 1.1);
    }

    /** The duration of a pure decode step with {@code batch} sequences running. */
    private static double decodeStepSeconds(int batch) {
        BatchScheduler s = BatchScheduler.of(ENGINE, H100);
        for (long id = 1; id <= batch; id++) {
            s.submit(request(id, 100, 50, 50));
        }
        StepResult step = s.step().orElseThrow();
        assertThat(step.prefillTokens()).isEqualTo(100 * batch);
        step = s.step().orElseThrow();
        assertThat(step.prefillTokens()).isZero();
        assertThat(step.decodeSequences()).isEqualTo(batch);
        assertThat(step.events()).hasSize(batch);
        return step.seconds();
    }

    @Test
    void kvCapacityBoundsConcurrencyAndExtraRequestsWait() {
        // Each request peaks at 300 + 100 = 400 tokens; 1,000 hold two.
        BatchScheduler s = new BatchScheduler(ENGINE, H100, 1000, SchedulerLimits.server(H100.gpu()));
        for (long id = 1; id <= 3; id++) {
            s.submit(request(id, 300, 100, 200));
        }
        s.step();
        assertThat(s.runningCount()).isEqualTo(2);
        assertThat(s.waitingCount()).isEqualTo(1);
        assertThat(s.kvReservedTokens()).isEqualTo(800);
        assertThat(s.kvUsedTokens()).isEqualTo(2 * 301);

        List<TokenEvent> events = drain(s);
        Map<Long, Double> ttft = firstTokenTimes(events);
        double firstFinish = events.stream().filter(e -> e.requestId() == 1 && e.finish().isPresent())
                .findFirst().orElseThrow().atSeconds();
        assertThat(ttft.get(3L)).isGreaterThan(firstFinish);
        assertThat(s.runningCount()).isZero();
        assertThat(s.kvUsedTokens()).isZero();
    }

    @Test
    void maxSequencesBoundsConcurrency() {
        BatchScheduler s = new BatchScheduler(ENGINE, H100, 100_000, new SchedulerLimits(2, 2048));
        for (long id = 1; id <= 5; id++) {
            s.submit(request(id, 10, 5, 5));
        }
        s.step();
        assertThat(s.runningCount()).isEqualTo(2);
        assertThat(s.waitingCount()).isEqualTo(3);
    }

    @Test
    void longPromptIsPrefilledInChunksOfTheTokenBudget() {
        BatchScheduler s = BatchScheduler.of(ENGINE, H100);
        s.submit(request(1, 20_000, 4, 10));
        List<Integer> prefill = new ArrayList<>();
        List<Integer> tokens = new ArrayList<>();
        for (Optional<StepResult> r = s.step(); r.isPresent(); r = s.step()) {
            prefill.add(r.get().prefillTokens());
            tokens.add(r.get().events().size());
        }
        assertThat(prefill).containsExactly(8192, 8192, 3616, 0, 0, 0);
        assertThat(tokens).containsExactly(0, 0, 1, 1, 1, 1);
    }

    @Test
    void generatesExactlyMaxTokensOrTheTextLengthWithMatchingFinishReason() {
        BatchScheduler s = BatchScheduler.of(ENGINE, H100);
        s.submit(request(1, 50, 7, 20));
        s.submit(request(2, 50, 40, 12));
        List<TokenEvent> events = drain(s);

        List<TokenEvent> cut = events.stream().filter(e -> e.requestId() == 1).toList();
        List<TokenEvent> natural = events.stream().filter(e -> e.requestId() == 2).toList();
        assertThat(cut).hasSize(7);
        assertThat(natural).hasSize(12);
        assertThat(cut.getLast().finish()).contains(FinishReason.LENGTH);
        assertThat(natural.getLast().finish()).contains(FinishReason.STOP);
        assertThat(cut.subList(0, 6)).allMatch(e -> e.finish().isEmpty());
    }

    @Test
    void tokensOfEachRequestComeInOrderAndSpellItsText() {
        BatchScheduler s = BatchScheduler.of(ENGINE, H100);
        List<String> text = DeterministicText.tokens(42);
        s.submit(new SequenceRequest(1, 30, 1000, text));
        s.submit(request(2, 500, 9, 9));
        List<TokenEvent> events = drain(s);

        List<TokenEvent> first = events.stream().filter(e -> e.requestId() == 1).toList();
        assertThat(first).extracting(TokenEvent::index).isSorted().doesNotHaveDuplicates().hasSize(text.size());
        assertThat(first).extracting(TokenEvent::text).containsExactlyElementsOf(text);
        assertThat(events).extracting(TokenEvent::atSeconds).isSorted();
    }

    @Test
    void cancellingARunningRequestFreesItsKvForTheQueue() {
        BatchScheduler s = new BatchScheduler(ENGINE, H100, 500, SchedulerLimits.server(H100.gpu()));
        s.submit(request(1, 300, 100, 200));
        s.submit(request(2, 300, 100, 200));
        s.step();
        assertThat(s.runningCount()).isEqualTo(1);
        assertThat(s.waitingCount()).isEqualTo(1);

        assertThat(s.cancel(1)).isTrue();
        assertThat(s.kvUsedTokens()).isZero();
        StepResult next = s.step().orElseThrow();
        assertThat(next.prefillTokens()).isEqualTo(300);
        assertThat(next.events()).extracting(TokenEvent::requestId).containsExactly(2L);
        assertThat(s.cancel(1)).isFalse();
    }

    @Test
    void idleSchedulerDoesNotAdvanceTime() {
        BatchScheduler s = BatchScheduler.of(ENGINE, H100);
        assertThat(s.step()).isEmpty();
        assertThat(s.nowSeconds()).isZero();
    }

    @Test
    void refusesARequestLargerThanTheKvCache() {
        BatchScheduler s = new BatchScheduler(ENGINE, H100, 100, SchedulerLimits.server(H100.gpu()));
        assertThatThrownBy(() -> s.submit(request(1, 90, 20, 20)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs 110 KV-cache tokens");
    }
}
