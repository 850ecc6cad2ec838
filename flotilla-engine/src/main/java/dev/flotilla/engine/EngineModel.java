package dev.flotilla.engine;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import dev.flotilla.market.gpu.GpuSpec;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The one performance model of a GPU running an LLM server with continuous batching and chunked
 * prefill (vLLM's scheduler): every step runs the decode batch (one token per sequence) together
 * with prompt chunks, within the caps of {@link SchedulerLimits}. Prefill is compute-bound, decode
 * is bound by streaming the weights and the KV cache, and the KV cache bounds concurrency. The
 * planner reads capacity from it, the simulator service times, the emulator backend its delays.
 *
 * <h2>A step</h2>
 *
 * Each kernel {@code k} of the step (per layer: the QKV, output, gate/up and down projections, or
 * the router and the two grouped expert GEMMs of a MoE layer; attention; four fused element-wise
 * kernels; once: embedding and LM head) takes
 *
 * <pre>
 * t_k = (c_k^p + m_k^p)^(1/p) + kernelLatency      c_k = FLOPs_k / (peak * computeEfficiency)
 *                                                  m_k = bytes_k / (bandwidth * bandwidthEfficiency)
 * step = sum_k t_k + allReduces + stepOverhead + sequenceOverhead * sequences
 * </pre>
 *
 * a smoothed roofline with {@code p = 1.5}. The plain roofline {@code max(c, m)} (p = infinity)
 * under-predicts the measured projection times by 20-30% between 64 and 512 tokens, where both
 * limits bind partly and where decode batches live; of p = 1, 1.5, 2, 3 and 4, 1.5 fits the A100
 * and H100 profiles best together ({@code docs/engine-calibration.md}). The two overheads are the
 * server's CPU time between GPU steps.
 *
 * <ul>
 *   <li>Linear layers: {@code FLOPs = 2 * tokens * k * n}; {@code bytes = k * n * bitsPerWeight / 8
 *       + 2 * tokens * (k + n)} (weights once per step, 16-bit activations in and out). Weights are
 *       split over the tensor-parallel GPUs. The LM head (16-bit) runs only for tokens that are
 *       sampled: one per decoding sequence plus one per prompt finishing its prefill.
 *   <li>MoE layers: tokens are routed to {@code activeExperts}; the step reads the experts that
 *       at least one token chose, {@code E * (1 - (1 - k/E)^tokens)} of them under uniform
 *       routing, so a decode step of batch 1 reads 2 of Mixtral's 8 experts and a batch of 64
 *       nearly all.
 *   <li>Attention: QK^T and AV cost {@code 2 * 2 * heads * headDim * context} FLOPs per token and
 *       layer (a decoding token attends to its whole context; a prefill token to half its prompt
 *       on average); bytes are the KV cache read for the decode sequences plus the KV written.
 *       Attention runs at the 16-bit rate.
 *   <li>Element-wise kernels (fused residual-add + RMSNorm twice, RoPE, activation): memory only,
 *       {@code 2 * tokens * (8h + 2 (q + kv) + 3 mlp)} bytes per layer.
 *   <li>Tensor parallelism: two all-reduces of {@code tokens * hidden * 2} bytes per layer, each
 *       {@code latency + 2 (tp - 1) / tp * bytes / busBandwidth}, over NVLink (latency 10 us, bus
 *       bandwidth 0.8 of one direction of {@code nvlinkGbs}) when the GPU has it, else PCIe (30 us,
 *       0.6 of {@code pcieBandwidthGbs}). These are assumptions, not fitted: no multi-GPU serving
 *       measurement is in the shared data.
 *   <li>Peak: the FP16 dense tensor rate, or the FP8 rate for FP8 weights on GPUs that have one
 *       ({@link WeightPrecision#tensorTflops}). Each GPU of a tensor-parallel group computes its shard
 *       (its heads, its slice of the MLP and of the vocabulary), which is the datasheet figures
 *       times the GPUs of the group.
 * </ul>
 *
 * <h2>Steady state</h2>
 *
 * See {@link #predict}. {@link #calibrated()} returns the model with the efficiency factors fitted
 * by {@link Calibration}.
 *
 * <pre>{@code
 * EngineModel engine = EngineModel.calibrated();
 * Deployment d = new Deployment(ModelCatalog.defaultCatalog().get("Llama-3.1-8B"),
 *         GpuCatalog.defaultCatalog().resolve("H100 SXM", OptionalDouble.empty()), 1,
 *         WeightPrecision.BF16, KvPrecision.BITS_16);
 * Performance p = engine.predict(d, Load.poisson(1000, 200, 5));   // p.tpotMs(), p.ttftP99Ms() ...
 * }</pre>
 */
public final class EngineModel {
    static final double ROOFLINE_EXPONENT = 1.5;
    private static final double NVLINK_LATENCY_S = 10e-6;
    private static final double NVLINK_EFFICIENCY = 0.8;
    private static final double PCIE_LATENCY_S = 30e-6;
    private static final double PCIE_EFFICIENCY = 0.6;
    private static final int ELEMENTWISE_KERNELS_PER_LAYER = 4;
    private static final int ALL_REDUCES_PER_LAYER = 2;

    // Fitted by Calibration on microsoft/vidur's per-operation profiles (matrix multiplications of
    // Llama-2-7B and Llama-3-8B, 1 to 32,768 tokens, TP 1-8). CalibrationTest fails when these
    // drift from what the data gives. Regenerate: see docs/engine-calibration.md.
    static final Efficiency A100_FIT = new Efficiency(0.735, 0.848, 5.8e-6);
    static final Efficiency H100_FIT = new Efficiency(0.749, 0.906, 4.6e-6);
    // Not fitted: no low-load latency measurement is in the shared data. vLLM V1 runs decode steps
    // as CUDA graphs; scheduling and input preparation between them take a few hundred microseconds.
    static final double STEP_OVERHEAD_SECONDS = 0.5e-3;
    // Fitted by Calibration.fitSequenceOverhead on vLLM's offline throughput in
    // shared/data/serving-measurements.csv: the CPU time vLLM spends per sequence and step
    // (sampling, detokenization, output processing) beyond what SGLang and LMDeploy overlap.
    static final double SEQUENCE_OVERHEAD_SECONDS = 15e-6;

    private static final EngineModel CALIBRATED = buildCalibrated();

    private final Map<String, Efficiency> byGpuId;
    private final Efficiency fallback;
    private final double stepOverheadSeconds;
    private final double sequenceOverheadSeconds;
    private final double exponent;

    /**
     * A model with efficiency factors per GPU id ({@link GpuSpec#id()}), {@code fallback} for the
     * others, and the server's CPU time per step: {@code stepOverheadSeconds} fixed (scheduling,
     * input preparation) plus {@code sequenceOverheadSeconds} for each sequence in the step
     * (sampling, detokenization, output processing).
     */
    public EngineModel(Map<String, Efficiency> byGpuId, Efficiency fallback, double stepOverheadSeconds,
            double sequenceOverheadSeconds) {
        this(byGpuId, fallback, stepOverheadSeconds, sequenceOverheadSeconds, ROOFLINE_EXPONENT);
    }

    EngineModel(Map<String, Efficiency> byGpuId, Efficiency fallback, double stepOverheadSeconds,
            double sequenceOverheadSeconds, double exponent) {
        this.byGpuId = Map.copyOf(requireNonNull(byGpuId, "byGpuId is null"));
        this.fallback = requireNonNull(fallback, "fallback is null");
        if (!(stepOverheadSeconds >= 0 && stepOverheadSeconds < 1)) {
            throw new IllegalArgumentException("step overhead must be in [0, 1) s; got " + stepOverheadSeconds);
        }
        if (!(sequenceOverheadSeconds >= 0 && sequenceOverheadSeconds < 1e-2)) {
            throw new IllegalArgumentException("per-sequence overhead must be in [0, 10 ms); got "
                    + sequenceOverheadSeconds);
        }
        if (!(exponent >= 1)) {
            throw new IllegalArgumentException("roofline exponent must be >= 1; got " + exponent);
        }
        this.stepOverheadSeconds = stepOverheadSeconds;
        this.sequenceOverheadSeconds = sequenceOverheadSeconds;
        this.exponent = exponent;
    }

    /**
     * The calibrated model. A100 and H100 factors are fitted on vidur's profiles and carry over
     * to the same silicon (A100 40 GB; H100 PCIe, H200). Other GPUs get the mean of the two fits.
     * For GeForce cards (RTX 3090, 4090, 5090) the catalog's tensor rate is the FP16-accumulate
     * figure; serving kernels accumulate in FP32, which GeForce runs at half that rate (NVIDIA's
     * GA102 and Ada whitepapers: RTX 4090 330 vs 165 TFLOPS), so their compute factor is halved.
     */
    public static EngineModel calibrated() {
        return CALIBRATED;
    }

    private static EngineModel buildCalibrated() {
        Efficiency mean = Efficiency.mean(A100_FIT, H100_FIT);
        Map<String, Efficiency> m = new HashMap<>();
        m.put("A100_SXM4_80GB", A100_FIT);
        m.put("A100_SXM4_40GB", A100_FIT);
        m.put("H100_SXM", H100_FIT);
        m.put("H100_PCIE", H100_FIT);
        m.put("H200_SXM", H100_FIT);
        for (String geforce : new String[] {"RTX_3090", "RTX_4090", "RTX_5090"}) {
            m.put(geforce, mean.withComputeScaled(0.5));
        }
        return new EngineModel(m, mean, STEP_OVERHEAD_SECONDS, SEQUENCE_OVERHEAD_SECONDS);
    }

    /** The efficiency factors used for {@code gpu}. */
    public Efficiency efficiency(GpuSpec gpu) {
        return byGpuId.getOrDefault(gpu.id(), fallback);
    }

    /** The fixed CPU time per step in seconds. */
    public double stepOverheadSeconds() {
        return stepOverheadSeconds;
    }

    /** The CPU time per sequence and step in seconds. */
    public double sequenceOverheadSeconds() {
        return sequenceOverheadSeconds;
    }

    /** This model with other CPU overheads (calibration compares with and without them). */
    EngineModel withOverheads(double stepSeconds, double sequenceSeconds) {
        return new EngineModel(byGpuId, fallback, stepSeconds, sequenceSeconds, exponent);
    }

    // ---------------------------------------------------------------------------------------------
    // One step

    /**
     * One step of {@code prefillTokens} prompt tokens (one prompt, starting at its first token, so
     * they attend to {@code prefillTokens / 2} tokens on average) and {@code decodeSequences}
     * sequences decoding one token each at a mean context of {@code meanContextTokens}.
     */
    public StepTime step(Deployment d, int prefillTokens, int decodeSequences, double meanContextTokens) {
        requireNonNull(d, "deployment is null");
        if (prefillTokens < 0 || decodeSequences < 0 || prefillTokens + (long) decodeSequences < 1) {
            throw invalid("tokens", "a step needs prefill_tokens >= 0, decode_sequences >= 0 and at least one "
                    + "token in all; got " + prefillTokens + " and " + decodeSequences);
        }
        if (!(meanContextTokens >= 0) || Double.isInfinite(meanContextTokens)) {
            throw invalid("mean_context_tokens", "mean context must be a finite number >= 0; got "
                    + meanContextTokens);
        }
        requireDecoder(d, decodeSequences);
        return time(d, new Batch(prefillTokens, prefillTokens / 2.0, prefillTokens > 0 ? 1 : 0, decodeSequences,
                meanContextTokens));
    }

    /**
     * Microseconds to prefill one prompt of {@code tokens} tokens alone on the server, in chunks
     * of the server's token budget ({@link SchedulerLimits#server}): the emulator's time to first
     * token on an idle server.
     */
    public long prefillMicros(Deployment d, int tokens) {
        requireNonNull(d, "deployment is null");
        if (tokens < 1 || tokens > d.model().maxContext()) {
            throw invalid("prompt_tokens", "a prompt of " + tokens + " tokens is outside " + d.model().id()
                    + "'s context; accepted: 1 to " + d.model().maxContext());
        }
        return Math.round(prefillSeconds(d, tokens, 0, 0, SchedulerLimits.server(d.gpu()).tokenBudget()) * 1e6);
    }

    /** Microseconds of one decode step of {@code batch} sequences at mean context {@code contextTokens}. */
    public long decodeStepMicros(Deployment d, int batch, double contextTokens) {
        if (batch < 1) {
            throw invalid("batch", "a decode step needs at least one sequence; got " + batch);
        }
        return step(d, 0, batch, contextTokens).micros();
    }

    /** One step's work; fractional counts are steady-state means. */
    record Batch(double prefillTokens, double prefillContext, double prefillSequences, double decodeSequences,
            double decodeContext) {
        double tokens() {
            return prefillTokens + decodeSequences;
        }
    }

    /** Running sums over the kernels of a step. */
    private final class Sums {
        final double peak;
        final double peak16;
        final double bandwidth;
        final double latency;
        double compute;
        double memory;
        double roofline;
        int kernels;

        Sums(Deployment d) {
            Efficiency e = efficiency(d.gpu());
            this.peak = d.weights().tensorTflops(d.gpu()) * 1e12 * e.compute();
            this.peak16 = d.gpu().fp16TflopsDense() * 1e12 * e.compute();
            this.bandwidth = d.gpu().memBandwidthGbs() * 1e9 * e.bandwidth();
            this.latency = e.kernelLatencySeconds();
        }

        void kernel(double flops, double bytes, double rate) {
            double c = flops / rate;
            double m = bytes / bandwidth;
            compute += c;
            memory += m;
            roofline += combine(c, m);
            kernels++;
        }

        /** A linear layer of {@code tokens} rows through a {@code k x n} weight matrix. */
        void linear(double tokens, double k, double n, double weightBits, double rate) {
            kernel(2 * tokens * k * n, k * n * weightBits / 8 + 2 * tokens * (k + n), rate);
        }

        void memoryOnly(double bytes, int kernelCount) {
            double m = bytes / bandwidth;
            memory += m;
            roofline += m;
            kernels += kernelCount;
        }
    }

    double combine(double c, double m) {
        if (Double.isInfinite(exponent)) {
            return Math.max(c, m);
        }
        double hi = Math.max(c, m);
        if (hi == 0) {
            return 0;
        }
        double lo = Math.min(c, m) / hi;
        return hi * Math.pow(1 + Math.pow(lo, exponent), 1 / exponent);
    }

    StepTime time(Deployment d, Batch b) {
        ModelShape m = d.model();
        int tp = d.tensorParallel();
        double tokens = b.tokens();
        double h = m.hiddenSize();
        double qHeads = (double) m.attentionHeads() / tp;
        double kvHeads = d.kvHeadsPerGpu();
        double hd = m.headDim();

        Sums layer = new Sums(d);
        linearLayers(d, layer, tokens);
        // Attention: 2 matmuls (QK^T, AV) of 2 FLOPs per multiply-add each, per head and context token.
        double attendedTokens = b.decodeSequences() * b.decodeContext() + b.prefillTokens() * b.prefillContext();
        double kvLayerBytes = d.kvBytesPerTokenPerGpu() / (double) m.layers();
        double attnFlops = 4 * qHeads * hd * attendedTokens;
        double attnBytes = kvLayerBytes * (b.decodeSequences() * b.decodeContext() + b.prefillTokens() + tokens)
                + 2.0 * 2 * tokens * qHeads * hd;
        layer.kernel(attnFlops, attnBytes, layer.peak16);
        // Fused element-wise kernels: add+RMSNorm (x2), RoPE, activation.
        double mlpActivations = m.moe()
                ? (double) m.activeExperts() * 3 * m.moeIntermediateSize() / tp
                : (m.family().gatedMlp() ? 3.0 : 2.0) * m.intermediateSize() / tp;
        layer.memoryOnly(2 * tokens * (8 * h + 2 * (qHeads + kvHeads) * hd + mlpActivations),
                ELEMENTWISE_KERNELS_PER_LAYER);

        Sums once = new Sums(d);
        once.memoryOnly(2 * tokens * h, 1);
        if (m.family().decoder()) {
            double sampled = b.decodeSequences() + b.prefillSequences();
            if (sampled > 0) {
                double vocab = (double) m.vocabSize() / tp;
                once.linear(sampled, h, vocab, 16, once.peak16);
                once.memoryOnly(4 * sampled * vocab, 0);
            }
        }
        double comm = tp == 1 ? 0 : m.layers() * ALL_REDUCES_PER_LAYER * allReduceSeconds(d, tokens * h * 2);
        int layers = m.layers();
        double compute = layers * layer.compute + once.compute;
        double memory = layers * layer.memory + once.memory;
        double roofline = layers * layer.roofline + once.roofline;
        double overhead = (layers * layer.kernels + once.kernels) * layer.latency + stepOverheadSeconds
                + sequenceOverheadSeconds * (b.decodeSequences() + b.prefillSequences());
        double seconds = roofline + comm + overhead;
        StepTime.Bound bound = StepTime.Bound.COMPUTE;
        double largest = compute;
        if (memory > largest) {
            bound = StepTime.Bound.MEMORY;
            largest = memory;
        }
        if (comm > largest) {
            bound = StepTime.Bound.COMMUNICATION;
            largest = comm;
        }
        if (overhead > largest) {
            bound = StepTime.Bound.OVERHEAD;
        }
        return new StepTime(seconds, compute, memory, comm, overhead, bound);
    }

    /** The projections of one layer (QKV, O, MLP or experts) for {@code tokens} tokens. */
    private void linearLayers(Deployment d, Sums s, double tokens) {
        ModelShape m = d.model();
        int tp = d.tensorParallel();
        double h = m.hiddenSize();
        double hd = m.headDim();
        double qHeads = (double) m.attentionHeads() / tp;
        double bits = d.weights().bitsPerWeight();
        s.linear(tokens, h, (qHeads + 2 * d.kvHeadsPerGpu()) * hd, bits, s.peak);
        s.linear(tokens, qHeads * hd, h, bits, s.peak);
        if (m.moe()) {
            double experts = m.experts();
            double k = m.activeExperts();
            double width = (double) m.moeIntermediateSize() / tp;
            double touched = experts * (1 - Math.pow(1 - k / experts, tokens));
            double routed = tokens * k;
            s.linear(tokens, h, experts, 16, s.peak16);
            s.kernel(2 * routed * h * 2 * width, touched * h * 2 * width * bits / 8 + 2 * (tokens * h + routed * 2 * width),
                    s.peak);
            s.kernel(2 * routed * width * h, touched * width * h * bits / 8 + 2 * (routed * width + routed * h), s.peak);
        } else {
            double width = (double) m.intermediateSize() / tp;
            s.linear(tokens, h, (m.family().gatedMlp() ? 2 : 1) * width, bits, s.peak);
            s.linear(tokens, width, h, bits, s.peak);
        }
    }

    /**
     * Seconds of the four projections of one layer for {@code tokens} tokens, as vidur's profiles
     * measure them (attn_pre_proj + attn_post_proj + mlp_up_proj + mlp_down_proj).
     */
    double projectionSeconds(Deployment d, double tokens) {
        Sums s = new Sums(d);
        linearLayers(d, s, tokens);
        return s.roofline + s.kernels * s.latency;
    }

    private static double allReduceSeconds(Deployment d, double bytes) {
        GpuSpec g = d.gpu();
        int tp = d.tensorParallel();
        boolean nvlink = g.nvlinkGbs() > 0;
        double busBandwidth = nvlink ? g.nvlinkGbs() / 2 * 1e9 * NVLINK_EFFICIENCY
                : g.pcieBandwidthGbs() * 1e9 * PCIE_EFFICIENCY;
        double latency = nvlink ? NVLINK_LATENCY_S : PCIE_LATENCY_S;
        return latency + 2.0 * (tp - 1) / tp * bytes / busBandwidth;
    }

    /**
     * Seconds to prefill a prompt of {@code tokens} in chunks of what the budget leaves beside
     * {@code decodeSequences} decoding sequences.
     */
    private double prefillSeconds(Deployment d, double tokens, double decodeSequences, double decodeContext,
            int budget) {
        double chunk = Math.max(64, budget - decodeSequences);
        double seconds = 0;
        double done = 0;
        while (done < tokens) {
            double size = Math.min(chunk, tokens - done);
            boolean last = done + size >= tokens;
            seconds += time(d, new Batch(size, done + size / 2, last ? 1 : 0, decodeSequences, decodeContext))
                    .seconds();
            done += size;
        }
        return seconds;
    }

    // ---------------------------------------------------------------------------------------------
    // Steady state

    /**
     * Steady-state latency and throughput of {@code d} under {@code load}.
     *
     * <p><b>Batch.</b> With arrival rate {@code λ}, mean prompt {@code I} and completion {@code O},
     * the server runs {@code B} decoding sequences and {@code λ I t} prompt tokens per step of
     * duration {@code t}, and Little's law gives {@code B = λ O t(B)}, with
     * {@code t(B) = step(prefill = B I / O, decode = B, context = I + O / 2)}. So the rate a
     * batch sustains is {@code λ(B) = B / (O t(B))}, increasing in {@code B}; it is solved for
     * {@code B} by bisection. {@code B} is capped by the KV cache ({@code B (I + O/2) <= kvTokens}),
     * by the server's {@link SchedulerLimits#maxSequences()} and by its token budget
     * ({@code B (1 + I/O) <= tokenBudget});
     * {@code maxRequestsPerSecond = λ(Bcap)}, and a load above it is infeasible.
     *
     * <p><b>Time to first token</b> = queueing wait + half a step (an arrival waits for the running
     * step to end) + the prompt's chunks, each a step beside the decode batch. The wait is
     * Kingman's G/G/1 approximation with the server's capacity as service rate:
     * {@code Wq = ρ / (1 - ρ) * (cv² + cs²) / 2 / capacity} with {@code ρ = λ / capacity},
     * {@code cv = burstinessCv} and {@code cs = 1} (prompt lengths vary about as much as an
     * exponential). Percentiles use the exponential tail of heavy traffic,
     * {@code P(W > x) = ρ exp(-ρ x / Wq)}, so {@code x_q = Wq / ρ * ln(ρ / (1 - q))} when
     * {@code ρ > 1 - q}, else 0. Variation of the prompt length itself is not in the percentiles.
     */
    public Performance predict(Deployment d, Load load) {
        requireNonNull(d, "deployment is null");
        requireNonNull(load, "load is null");
        ModelShape m = d.model();
        if (!m.family().decoder()) {
            throw invalid("model", m.id() + " is an encoder (" + m.family().modelType() + ") and never decodes; "
                    + "use prefillMicros for its forward passes");
        }
        MemoryPlan plan = MemoryPlan.of(d);
        double in = load.meanInputTokens();
        double out = load.meanOutputTokens();
        if (!plan.fits()) {
            return infeasible(plan.reason(), plan);
        }
        if (in + out > m.maxContext()) {
            return infeasible(String.format(Locale.ROOT, "a request of %.0f + %.0f tokens exceeds %s's context of %,d",
                    in, out, m.id(), m.maxContext()), plan);
        }
        if (in + out > plan.kvTokens()) {
            return infeasible(String.format(Locale.ROOT, "a request of %.0f + %.0f tokens needs more KV cache than "
                    + "the %,d tokens %s holds", in, out, plan.kvTokens(), d.hardware()), plan);
        }
        double context = in + out / 2;
        SchedulerLimits limits = SchedulerLimits.server(d.gpu());
        Cap cap = cap(plan, limits, in, out);
        double lambda = load.requestsPerSecond();
        double capacity = sustainedRate(d, cap.batch, in, out);
        if (lambda > capacity) {
            double tpot = steadyStep(d, cap.batch, in, out).seconds();
            return new Performance(false, String.format(Locale.ROOT,
                    "needs %.3g req/s; capacity %.3g req/s (%s)", lambda, capacity, cap.explain(in, out)),
                    tpot * 1e3, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY,
                    capacity * out, capacity, cap.batch, cap.batch * context / plan.kvTokens(), cap.limit, plan);
        }
        double lo = 0;
        double hi = cap.batch;
        for (int i = 0; i < 60; i++) {
            double mid = (lo + hi) / 2;
            if (sustainedRate(d, mid, in, out) < lambda) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double batch = (lo + hi) / 2;
        double step = steadyStep(d, batch, in, out).seconds();
        double tpot = time(d, new Batch(batch * in / out, in / 2, batch / out, Math.max(1, batch), context)).seconds();
        double service = prefillSeconds(d, in, batch, context, limits.tokenBudget()) + step / 2;
        double rho = lambda / capacity;
        double cv = load.burstinessCv();
        double wait = rho >= 1 ? Double.POSITIVE_INFINITY : rho / (1 - rho) * (cv * cv + 1) / 2 / capacity;
        return new Performance(true, "", tpot * 1e3, (service + wait) * 1e3,
                (service + waitQuantile(wait, rho, 0.90)) * 1e3, (service + waitQuantile(wait, rho, 0.99)) * 1e3,
                lambda * out, capacity, batch, batch * context / plan.kvTokens(), cap.limit, plan);
    }

    private static double waitQuantile(double meanWait, double rho, double q) {
        if (rho <= 1 - q || meanWait == 0) {
            return 0;
        }
        return meanWait / rho * Math.log(rho / (1 - q));
    }

    /**
     * Output tokens per second of an offline batch run (all requests queued at once) in steady
     * state at the largest batch the server admits: {@link SchedulerLimits#offline}'s
     * {@code maxSequences}, fewer when the KV cache or the token budget binds. An upper bound for
     * a finite run: as it drains, few long sequences remain and steps run nearly empty, which a
     * steady state does not see.
     *
     * @throws FlotillaException when the deployment does not fit (message from {@link MemoryPlan})
     */
    public double offlineOutputThroughput(Deployment d, double meanInputTokens, double meanOutputTokens) {
        requireNonNull(d, "deployment is null");
        Load shape = new Load(meanInputTokens, meanOutputTokens, 0, 0);
        if (!d.model().family().decoder()) {
            throw invalid("model", d.model().id() + " is an encoder and generates no tokens");
        }
        MemoryPlan plan = MemoryPlan.of(d);
        if (!plan.fits()) {
            throw invalid("deployment", plan.reason());
        }
        Cap cap = cap(plan, SchedulerLimits.offline(d.gpu()), shape.meanInputTokens(), shape.meanOutputTokens());
        return cap.batch / steadyStep(d, cap.batch, meanInputTokens, meanOutputTokens).seconds();
    }

    private record Cap(double batch, Performance.Limit limit, long kvTokens, SchedulerLimits limits) {
        String explain(double in, double out) {
            return switch (limit) {
                case KV_CACHE -> String.format(Locale.ROOT, "the KV cache of %,d tokens holds %.0f sequences of "
                        + "%.0f tokens on average", kvTokens, batch, in + out / 2);
                case MAX_SEQUENCES -> "at most " + limits.maxSequences() + " sequences per step";
                case TOKEN_BUDGET -> String.format(Locale.ROOT, "prefill of %.0f-token prompts fills the "
                        + "%,d-token step budget", in, limits.tokenBudget());
                case MEMORY -> "the model does not fit";
            };
        }
    }

    private static Cap cap(MemoryPlan plan, SchedulerLimits limits, double in, double out) {
        double byKv = plan.kvTokens() / (in + out / 2);
        double byBudget = limits.tokenBudget() / (1 + in / out);
        double batch = limits.maxSequences();
        Performance.Limit limit = Performance.Limit.MAX_SEQUENCES;
        if (byKv < batch) {
            batch = byKv;
            limit = Performance.Limit.KV_CACHE;
        }
        if (byBudget < batch) {
            batch = byBudget;
            limit = Performance.Limit.TOKEN_BUDGET;
        }
        return new Cap(batch, limit, plan.kvTokens(), limits);
    }

    /** The steady step at decode batch {@code batch}: {@code batch * in / out} prompt tokens beside it. */
    private StepTime steadyStep(Deployment d, double batch, double in, double out) {
        return time(d, new Batch(batch * in / out, in / 2, batch / out, batch, in + out / 2));
    }

    /** Requests per second that a decode batch of {@code batch} sustains: {@code B / (O t(B))}. */
    private double sustainedRate(Deployment d, double batch, double in, double out) {
        if (batch <= 0) {
            return 0;
        }
        return batch / (out * steadyStep(d, batch, in, out).seconds());
    }

    private static Performance infeasible(String reason, MemoryPlan plan) {
        double inf = Double.POSITIVE_INFINITY;
        return new Performance(false, reason, inf, inf, inf, inf, 0, 0, 0, 0, Performance.Limit.MEMORY, plan);
    }

    private static void requireDecoder(Deployment d, int decodeSequences) {
        if (decodeSequences > 0 && !d.model().family().decoder()) {
            throw invalid("decode_sequences", d.model().id() + " is an encoder (" + d.model().family().modelType()
                    + ") and never decodes; accepted: decode_sequences 0");
        }
    }

    private static FlotillaException invalid(String field, String message) {
        return new FlotillaException(ErrorCode.INVALID_ARGUMENT, field, message);
    }
}
