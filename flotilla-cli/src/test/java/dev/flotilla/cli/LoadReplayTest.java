package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.core.FlotillaException;
import dev.flotilla.traces.TraceRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The replay's schedule on a fake clock and a fake sender: exact send times, skips, cut-offs, progress. */
class LoadReplayTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;
    private static final LoadReport.Setup SETUP = new LoadReport.Setup("t", "azure", "http://127.0.0.1:1/v1", "m", "chat", false);

    private final LoadFakeClock clock = new LoadFakeClock();
    private final List<Long> sentAt = new ArrayList<>();
    private final List<String> progress = new ArrayList<>();

    /** A sender whose every answer is OK after {@code latencyNanos} of fake time. */
    private LoadReplay.Sender answersAfter(long latencyNanos) {
        return (index, r) -> {
            sentAt.add(clock.nanos());
            CompletableFuture<LoadOutcome> f = new CompletableFuture<>();
            clock.after(latencyNanos, () -> f.complete(LoadOutcome.ok(200, latencyNanos, OptionalLong.empty(), 0, 0)));
            return f;
        };
    }

    private static LoadReplay.Settings settings(double speedup, int maxConcurrency) {
        return new LoadReplay.Settings(speedup, maxConcurrency, Long.MAX_VALUE, Optional.empty(), Optional.empty(), Duration.ofSeconds(30));
    }

    private static Iterator<TraceRequest> arrivalsMs(long... ms) {
        return LongStream.of(ms).mapToObj(m -> TraceRequest.of(5_000_000 + m * 1000, 10, 10)).iterator();
    }

    @Test
    void sendsEachRequestAtItsOffsetFromTheFirstArrivalDividedBySpeedup() {
        long start = clock.nanos();
        LoadReport r = new LoadReplay(settings(2, 64), clock, answersAfter(10 * MS), progress::add)
                .run(arrivalsMs(0, 1000, 1500, 10_000), SETUP);

        assertThat(sentAt).containsExactly(start, start + 500 * MS, start + 750 * MS, start + 5 * S);
        assertThat(r.sent()).isEqualTo(4);
        assertThat(r.ok()).isEqualTo(4);
        assertThat(r.schedule().scheduledSpanNanos()).isEqualTo(5 * S);
        assertThat(r.schedule().wallNanos()).as("ends when the last answer is in, seen at the next poll")
                .isBetween(5 * S + 10 * MS, 5 * S + 10 * MS + LoadReplay.DRAIN_POLL_NANOS);
        assertThat(r.intendedRps()).isEqualTo(4 / 5.0);
        assertThat(r.achievedRps()).isEqualTo(4 / 5.0);
        assertThat(r.traceSeconds()).isEqualTo(10.0);
        assertThat(r.maxLagNanos()).isZero();
        assertThat(r.schedule().stoppedBy()).isEqualTo(LoadReport.StopReason.END_OF_TRACE);
    }

    @Test
    void skipsARequestDueWhileTheBoundIsFullInsteadOfQueueingIt() {
        // one request a second, each answered after 2.5 s, at most 2 in flight:
        // t=0 send, 1 send, 2 skip (2 in flight), 3 send (t=0's done at 2.5), 4 send (t=1's done at 3.5), 5 skip, 6 send ...
        LoadReport r = new LoadReplay(settings(1, 2), clock, answersAfter(2500 * MS), progress::add)
                .run(arrivalsMs(0, 1000, 2000, 3000, 4000, 5000, 6000), SETUP);

        long start = clock.nanos() - r.schedule().wallNanos();
        assertThat(sentAt).containsExactly(start, start + S, start + 3 * S, start + 4 * S, start + 6 * S);
        assertThat(r.sent()).isEqualTo(5);
        assertThat(r.skipped()).isEqualTo(2);
        assertThat(r.replayed()).isEqualTo(7);
        assertThat(r.ok()).isEqualTo(5);
        assertThat(r.text()).contains("skipped (client bound): 2 requests were in flight (--max-concurrency)");
    }

    @Test
    void requestsStillInFlightAfterTheDrainTimeoutAreReportedUnfinished() {
        LoadReplay.Settings s = new LoadReplay.Settings(1, 8, Long.MAX_VALUE, Optional.empty(), Optional.empty(), Duration.ofSeconds(3));
        LoadReplay.Sender never = (index, r) -> new CompletableFuture<>();
        LoadReport r = new LoadReplay(s, clock, never, progress::add).run(arrivalsMs(0, 100), SETUP);

        assertThat(r.sent()).isEqualTo(2);
        assertThat(r.unfinished()).isEqualTo(2);
        assertThat(r.schedule().wallNanos()).isEqualTo(100 * MS + 3 * S);
    }

    @Test
    void stopsAtTheLimitOrWhenTheWallDurationIsUp() {
        LoadReplay.Settings limited = new LoadReplay.Settings(1, 64, 3, Optional.empty(), Optional.empty(), Duration.ofSeconds(1));
        LoadReport byLimit = new LoadReplay(limited, clock, answersAfter(MS), progress::add)
                .run(arrivalsMs(0, 1000, 2000, 3000, 4000), SETUP);
        assertThat(byLimit.replayed()).isEqualTo(3);
        assertThat(byLimit.schedule().stoppedBy()).isEqualTo(LoadReport.StopReason.LIMIT);

        // 2 s of wall time at 4x covers 8 s of trace: the requests at 0, 3 and 6 s, not the one at 8 s
        sentAt.clear();
        LoadReplay.Settings timed = new LoadReplay.Settings(4, 64, Long.MAX_VALUE, Optional.of(Duration.ofSeconds(2)), Optional.empty(),
                Duration.ofSeconds(1));
        LoadReport byDuration = new LoadReplay(timed, clock, answersAfter(MS), progress::add)
                .run(arrivalsMs(0, 3000, 6000, 8000, 9000), SETUP);
        assertThat(byDuration.sent()).isEqualTo(3);
        assertThat(byDuration.schedule().stoppedBy()).isEqualTo(LoadReport.StopReason.DURATION);
        assertThat(byDuration.schedule().scheduledSpanNanos()).isEqualTo(1500 * MS);

        assertThat(LoadReplay.select(arrivalsMs(0, 3000, 6000, 8000, 9000), timed)).isEqualTo(new LoadReplay.Selection(3, 1500 * MS));
        assertThat(LoadReplay.select(arrivalsMs(0, 1000, 2000, 3000, 4000), limited)).isEqualTo(new LoadReplay.Selection(3, 2 * S));
    }

    @Test
    void printsAProgressLineEveryIntervalWithTheIntervalsLatency() {
        LoadReplay.Settings s = new LoadReplay.Settings(1, 64, Long.MAX_VALUE, Optional.empty(), Optional.of(Duration.ofSeconds(10)),
                Duration.ofSeconds(30));
        long[] everySecond = LongStream.rangeClosed(0, 34).map(i -> i * 1000).toArray();
        new LoadReplay(s, clock, answersAfter(200 * MS), progress::add).run(arrivalsMs(everySecond), SETUP);

        assertThat(progress).hasSize(3);
        // at 10 s the line comes before the request due then is sent: 10 sent and answered
        assertThat(progress.get(0)).isEqualTo("[     10s] sent 10 (1.00/s) ok 10 errors 0 skipped 0 in flight 0 | last 10s: p50 200 ms p99 200 ms");
        assertThat(progress.get(2)).startsWith("[     30s] sent 30 (1.00/s) ok 30 errors 0");
    }

    @Test
    void aSendTheClientIsLateForGoesOutAtOnceAndItsLagIsReported() {
        // the client spends 300 ms on each send of a trace that asks for one every 100 ms
        LoadReplay.Sender slow = (index, r) -> {
            clock.spend(300 * MS);
            return CompletableFuture.completedFuture(LoadOutcome.ok(200, MS, OptionalLong.empty(), 0, 0));
        };
        LoadReport r = new LoadReplay(settings(1, 64), clock, slow, progress::add).run(arrivalsMs(0, 100, 200, 300), SETUP);

        assertThat(r.sent()).isEqualTo(4);
        assertThat(r.maxLagNanos()).isEqualTo(600 * MS); // the 4th is due at 300 ms and goes at 900 ms
        assertThat(r.lateSends()).isEqualTo(3);
        assertThat(r.achievedRps()).isLessThan(r.intendedRps());
    }

    @Test
    void errorsAreCountedByStatusThenCodeAndLatencyIsOverTheOkOnes() {
        List<LoadOutcome> outcomes = List.of(
                LoadOutcome.ok(200, 900 * MS, OptionalLong.empty(), 5, 7),
                LoadOutcome.httpError(429, "rate_limit_exceeded", "too many", MS),
                LoadOutcome.httpError(429, "queue_full", "full", MS),
                LoadOutcome.httpError(429, "rate_limit_exceeded", "too many", MS),
                LoadOutcome.httpError(503, "no_capacity", "no worker", MS),
                LoadOutcome.streamError("stream_interrupted", "broke", MS, OptionalLong.of(MS)),
                LoadOutcome.noResponse("timeout", "late", MS));
        LoadReplay.Sender planned = (index, r) -> CompletableFuture.completedFuture(outcomes.get((int) index));
        LoadReport r = new LoadReplay(settings(1, 64), clock, planned, progress::add)
                .run(arrivalsMs(0, 10, 20, 30, 40, 50, 60), SETUP);

        assertThat(r.ok()).isEqualTo(1);
        assertThat(r.errorTotal()).isEqualTo(6);
        assertThat(r.errorsText()).isEqualTo("429 x3 (queue_full 1, rate_limit_exceeded 2); 503 x1 (no_capacity 1);"
                + " no-response x1 (timeout 1); stream x1 (stream_interrupted 1)");
        assertThat(r.latency().p50()).isEqualTo(900 * MS);
        assertThat(r.completionTokens()).isEqualTo(7);
        assertThat(r.errorExamples()).containsEntry("429 rate_limit_exceeded", "too many");
    }

    @Test
    void aMalformedRowMetMidwayStopsTheSendingAndIsReported() {
        Iterator<TraceRequest> broken = new Iterator<>() {
            int n;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public TraceRequest next() {
                if (n == 2) {
                    throw FlotillaException.invalid("trace", "t.csv line 4: rows must be sorted by time");
                }
                return TraceRequest.of(n++ * 1000L, 1, 1);
            }
        };
        LoadReplay replay = new LoadReplay(settings(1, 64), clock, answersAfter(MS), progress::add);
        LoadReport r = replay.run(broken, SETUP);

        assertThat(r.sent()).isEqualTo(2);
        assertThat(r.schedule().stoppedBy()).isEqualTo(LoadReport.StopReason.TRACE_ERROR);
        assertThat(replay.traceError()).hasValueSatisfying(e -> assertThat(e).hasMessageContaining("line 4"));
    }

    @Test
    void stopEndsTheRunAtOnceWithoutWaitingForTheRequestsInFlight() {
        LoadReplay[] replay = new LoadReplay[1];
        LoadReplay.Sender stopsAtThird = (index, r) -> {
            if (index == 2) {
                replay[0].stop();
            }
            return new CompletableFuture<>();
        };
        replay[0] = new LoadReplay(settings(1, 64), clock, stopsAtThird, progress::add);
        LoadReport r = replay[0].run(arrivalsMs(0, 1000, 2000, 3000, 4000), SETUP);

        assertThat(r.sent()).isEqualTo(3);
        assertThat(r.unfinished()).isEqualTo(3);
        assertThat(r.schedule().stoppedBy()).isEqualTo(LoadReport.StopReason.INTERRUPTED);
        assertThat(Thread.interrupted()).as("the stop's interrupt is consumed").isFalse();
    }
}
