/**
 * The engine model: one model of a GPU running an LLM server with continuous batching, the single
 * source of service times for the planner, the emulator backend and the simulator. Pure: it imports
 * only the JDK, {@code flotilla-core} and the GPU catalog of {@code flotilla-market}; it reads no
 * clock and does no I/O except its own resources and, in {@link dev.flotilla.engine.Calibration},
 * the shared data files it is pointed at.
 *
 * <ul>
 *   <li>What runs: {@link dev.flotilla.engine.ModelShape} (from {@link dev.flotilla.engine.ModelShapes}
 *       or {@link dev.flotilla.engine.ModelCatalog}), {@link dev.flotilla.engine.WeightPrecision},
 *       {@link dev.flotilla.engine.KvPrecision}, together a {@link dev.flotilla.engine.Deployment}.
 *   <li>Whether it fits: {@link dev.flotilla.engine.MemoryPlan}.
 *   <li>How fast: {@link dev.flotilla.engine.EngineModel} ({@code step}, {@code predict},
 *       {@code offlineOutputThroughput}, {@code prefillMicros}, {@code decodeStepMicros}).
 *   <li>How we know: {@link dev.flotilla.engine.Calibration} and {@code docs/engine-calibration.md}.
 * </ul>
 *
 * <pre>{@code
 * ModelShape llama = ModelCatalog.defaultCatalog().get("Llama-3.1-70B");
 * GpuSpec h100 = GpuCatalog.defaultCatalog().resolve("H100 SXM", OptionalDouble.empty());
 * MemoryPlan plan = MemoryPlan.plan(llama, h100, 2, WeightPrecision.BF16, KvPrecision.BITS_16);
 * // plan.fits() == true, plan.kvTokens() about 16,000
 * Performance p = EngineModel.calibrated().predict(plan.deployment(), Load.poisson(2000, 300, 0.5));
 * }</pre>
 */
package dev.flotilla.engine;
