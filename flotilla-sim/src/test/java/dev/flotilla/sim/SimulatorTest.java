package dev.flotilla.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.engine.EngineModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SimulatorTest {
    private static final EngineModel ENGINE = EngineModel.calibrated();

    /** Poisson arrivals at {@code rate} req/s for {@code seconds}, then at {@code rate2} for as long. */
    static List<SimRequest> step(double rate, double rate2, int seconds, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<SimRequest> out = new ArrayList<>();
        double t = 0;
        while (t < 2.0 * seconds) {
            double lambda = t < seconds ? rate : rate2;
            t += -Math.log(1 - r.nextDouble()) / lambda;
            out.add(new SimRequest((long) (t * 1e6), 200 + r.nextInt(800), 50 + r.nextInt(200)));
        }
        return out;
    }

    /** A reactive stand-in for the tests: enough workers for the last tick's rate at 70% utilisation, at least one. */
    static Scaler lastTick() {
        return new Scaler() {
            @Override
            public String name() {
                return "last-tick";
            }

            @Override
            public int desiredWorkers(Observation o, List<SimRequest> trace) {
                return Math.max(1, (int) Math.ceil((o.rate() + o.queued() / 10.0) / (o.perWorkerRps() * 0.7)));
            }
        };
    }

    @Test
    void staticPeakServesEverythingAndTheOracleIsCheaper() {
        List<SimRequest> trace = step(10, 80, 600, 1);
        Simulator sim = new Simulator(SimConfig.defaults().withPreemptions(false, 0), ENGINE);

        SimResult peak = sim.run(trace, Baselines.staticPeak(0.7));
        SimResult oracle = sim.run(trace, Baselines.oracle(0.7));

        assertThat(peak.rejected()).isZero();
        assertThat(peak.ttftSloAttainment()).isGreaterThan(0.99);
        assertThat(oracle.rejected()).isZero();
        assertThat(oracle.ttftSloAttainment()).isGreaterThan(0.95);
        assertThat(oracle.costUsd()).isLessThan(peak.costUsd());
        assertThat(peak.requests()).isEqualTo(trace.size());
    }

    @Test
    void aReactivePolicyPaysForColdStartsInQueueTime() {
        List<SimRequest> trace = step(10, 80, 600, 2);
        Simulator sim = new Simulator(SimConfig.defaults().withPreemptions(false, 0), ENGINE);

        SimResult reactive = sim.run(trace, lastTick());
        SimResult oracle = sim.run(trace, Baselines.oracle(0.7));

        assertThat(reactive.queueMsP99()).isGreaterThan(oracle.queueMsP99());
        assertThat(reactive.timeline()).isNotEmpty();
        assertThat(reactive.timeline().getLast().workers()).isGreaterThan(reactive.timeline().getFirst().workers());
    }

    @Test
    void preemptedWorkersRequestsAreRetriedNotLost() {
        List<SimRequest> trace = step(40, 40, 900, 3);
        Simulator sim = new Simulator(SimConfig.defaults().withPreemptions(true, 20), ENGINE);

        SimResult r = sim.run(trace, lastTick());

        assertThat(r.preemptions()).isPositive();
        assertThat(r.retried()).isPositive();
        assertThat(r.rejected()).as("retried requests still finish").isLessThan(trace.size() / 20);
    }

    @Test
    void theSameSeedGivesTheSameRun() {
        List<SimRequest> trace = step(3, 6, 300, 4);
        Simulator sim = new Simulator(SimConfig.defaults().withPreemptions(true, 5), ENGINE);
        SimResult a = sim.run(trace, lastTick());
        SimResult b = sim.run(trace, lastTick());
        assertThat(a.costUsd()).isEqualTo(b.costUsd());
        assertThat(a.queueMsP99()).isEqualTo(b.queueMsP99());
        assertThat(a.preemptions()).isEqualTo(b.preemptions());
    }

    @Test
    void theProductionPoliciesScaleUpWithTheLoadAndSayWhy() {
        List<SimRequest> trace = step(10, 80, 600, 5);
        SimConfig cfg = SimConfig.defaults().withPreemptions(false, 0);
        Simulator sim = new Simulator(cfg, ENGINE);
        dev.flotilla.autoscale.ScalingSettings settings = dev.flotilla.autoscale.ScalingSettings.defaults().withWorkers(0, 20);

        PolicyScaler reactive = PolicyScaler.reactive(settings, cfg.tick());
        SimResult r = sim.run(trace, reactive);
        SimResult p = sim.run(trace, PolicyScaler.predictive(settings, cfg.tick()));

        assertThat(r.timeline().getLast().workers()).isGreaterThan(1);
        assertThat(r.rejected()).isLessThan(trace.size() / 10);
        assertThat(p.rejected()).isLessThan(trace.size() / 10);
        assertThat(reactive.decisions()).isNotEmpty().allSatisfy(d -> assertThat(d.reason()).isNotBlank());
    }

    @Test
    void measuredServiceTimesAreServedAsRecordedOnePerWorker() {
        // three image generations of 5 s arriving together on one worker: they run one after another
        List<SimRequest> trace = List.of(new SimRequest(0, 1, 1, 5_000_000), new SimRequest(0, 1, 1, 5_000_000),
                new SimRequest(0, 1, 1, 5_000_000));
        Simulator sim = new Simulator(SimConfig.defaults().withPreemptions(false, 0).withConcurrency(1), ENGINE);
        assertThat(sim.perWorkerRps(trace)).isEqualTo(0.2);

        SimResult r = sim.run(trace, Baselines.staticPeak(1.0));

        assertThat(r.rejected()).isZero();
        assertThat(r.queueMsP99()).as("the third waits for two services").isEqualTo(10_000.0);
        assertThat(r.ttftSloAttainment()).as("only the first starts within 2 s").isCloseTo(1 / 3.0,
                org.assertj.core.data.Offset.offset(1e-9));
    }
}
