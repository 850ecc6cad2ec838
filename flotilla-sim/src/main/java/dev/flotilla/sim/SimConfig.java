package dev.flotilla.sim;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import dev.flotilla.core.Money;
import dev.flotilla.engine.Deployment;
import dev.flotilla.engine.KvPrecision;
import dev.flotilla.engine.ModelCatalog;
import dev.flotilla.engine.WeightPrecision;
import dev.flotilla.market.gpu.GpuCatalog;
import java.time.Duration;

/**
 * What the simulator needs besides the trace and the policy.
 *
 * @param deployment model on GPU whose engine-model timings serve the requests
 * @param gpusPerWorker GPUs per worker (for GPU-hours)
 * @param concurrency sequences one worker runs at once (the gateway's slots per worker)
 * @param onDemandPricePerHour a worker's on-demand price
 * @param interruptiblePricePerHour a worker's interruptible price (a bid at the offer's minimum)
 * @param interruptible whether the endpoint prefers interruptible capacity
 * @param preemptionsPerHour the Poisson rate at which an interruptible worker is preempted
 * @param preemptionBackoff how long replacements go on demand after a preemption
 * @param rentalLatency from asking for a worker to its machine starting the backend
 * @param coldStartMedian median backend load time (model download and load)
 * @param coldStartP99 99th percentile of the load time (lognormal between the two)
 * @param tick how often the policy decides
 * @param maxQueueTime the endpoint's max queue time: longer waits are rejected (503)
 * @param maxQueueLength the gateway's queue bound per endpoint: beyond it requests are rejected (429)
 * @param routing the router's name
 * @param ttftSlo time-to-first-token target
 * @param tpotSlo time-per-output-token target
 * @param seed seed of every random draw (cold starts, preemptions, routing ties)
 */
public record SimConfig(Deployment deployment, int gpusPerWorker, int concurrency, Money onDemandPricePerHour,
        Money interruptiblePricePerHour, boolean interruptible, double preemptionsPerHour, Duration preemptionBackoff,
        Duration rentalLatency, Duration coldStartMedian, Duration coldStartP99, Duration tick, Duration maxQueueTime,
        int maxQueueLength, String routing, Duration ttftSlo, Duration tpotSlo, long seed) {
    public SimConfig {
        requireNonNull(deployment, "deployment is null");
        requireNonNull(onDemandPricePerHour, "onDemandPricePerHour is null");
        requireNonNull(interruptiblePricePerHour, "interruptiblePricePerHour is null");
        if (concurrency < 1) {
            throw FlotillaException.invalid("concurrency", "concurrency must be >= 1, got " + concurrency);
        }
        if (gpusPerWorker < 1) {
            throw FlotillaException.invalid("gpus_per_worker", "gpus per worker must be >= 1, got " + gpusPerWorker);
        }
        if (!(preemptionsPerHour >= 0)) {
            throw FlotillaException.invalid("preemptions_per_hour", "preemptions per hour must be >= 0, got "
                    + preemptionsPerHour);
        }
        if (coldStartP99.compareTo(coldStartMedian) < 0) {
            throw FlotillaException.invalid("cold_start_p99", "cold start p99 (" + coldStartP99 + ") must be >= its median ("
                    + coldStartMedian + ")");
        }
        if (tick.isZero() || tick.isNegative()) {
            throw FlotillaException.invalid("tick", "tick must be positive, got " + tick);
        }
    }

    /**
     * Llama-3.1-8B in bf16 on one H100 SXM, 32 concurrent sequences; $2.50/h on demand, $1.25/h
     * interruptible, 0.1 preemptions per hour; rental 5 s; cold start p50 22.7 s and p99 51.9 s (the
     * model-load latencies measured on Alibaba's GenTD26 service, shared/data/README.md); 10 s ticks;
     * 30 s max queue time; SLO TTFT 2 s, TPOT 100 ms. The prices are round figures of the order of
     * GPU-marketplace H100 rates, not a quote.
     */
    public static SimConfig defaults() {
        Deployment d = new Deployment(ModelCatalog.defaultCatalog().get("Llama-3.1-8B"),
                GpuCatalog.defaultCatalog().byId("H100_SXM").orElseThrow(), 1, WeightPrecision.BF16, KvPrecision.BITS_16);
        return new SimConfig(d, 1, 32, Money.ofDollars(2.50), Money.ofDollars(1.25), true, 0.1, Duration.ofMinutes(10),
                Duration.ofSeconds(5), Duration.ofMillis(22_700), Duration.ofMillis(51_900), Duration.ofSeconds(10),
                Duration.ofSeconds(30), 10_000, "least-load", Duration.ofSeconds(2), Duration.ofMillis(100), 42);
    }

    public SimConfig withSeed(long newSeed) {
        return new SimConfig(deployment, gpusPerWorker, concurrency, onDemandPricePerHour, interruptiblePricePerHour,
                interruptible, preemptionsPerHour, preemptionBackoff, rentalLatency, coldStartMedian, coldStartP99, tick,
                maxQueueTime, maxQueueLength, routing, ttftSlo, tpotSlo, newSeed);
    }

    public SimConfig withConcurrency(int sequences) {
        return new SimConfig(deployment, gpusPerWorker, sequences, onDemandPricePerHour, interruptiblePricePerHour,
                interruptible, preemptionsPerHour, preemptionBackoff, rentalLatency, coldStartMedian, coldStartP99, tick,
                maxQueueTime, maxQueueLength, routing, ttftSlo, tpotSlo, seed);
    }

    public SimConfig withPreemptions(boolean useInterruptible, double perHour) {
        return new SimConfig(deployment, gpusPerWorker, concurrency, onDemandPricePerHour, interruptiblePricePerHour,
                useInterruptible, perHour, preemptionBackoff, rentalLatency, coldStartMedian, coldStartP99, tick,
                maxQueueTime, maxQueueLength, routing, ttftSlo, tpotSlo, seed);
    }

    public SimConfig withDeployment(Deployment d) {
        return new SimConfig(d, gpusPerWorker, concurrency, onDemandPricePerHour, interruptiblePricePerHour,
                interruptible, preemptionsPerHour, preemptionBackoff, rentalLatency, coldStartMedian, coldStartP99, tick,
                maxQueueTime, maxQueueLength, routing, ttftSlo, tpotSlo, seed);
    }

    public SimConfig withPrices(Money onDemand, Money interruptiblePrice) {
        return new SimConfig(deployment, gpusPerWorker, concurrency, onDemand, interruptiblePrice, interruptible,
                preemptionsPerHour, preemptionBackoff, rentalLatency, coldStartMedian, coldStartP99, tick, maxQueueTime,
                maxQueueLength, routing, ttftSlo, tpotSlo, seed);
    }

    /** The endpoint's max queue time: waits beyond it are rejected. */
    public SimConfig withMaxQueueTime(Duration max) {
        return new SimConfig(deployment, gpusPerWorker, concurrency, onDemandPricePerHour, interruptiblePricePerHour,
                interruptible, preemptionsPerHour, preemptionBackoff, rentalLatency, coldStartMedian, coldStartP99, tick,
                max, maxQueueLength, routing, ttftSlo, tpotSlo, seed);
    }
}
