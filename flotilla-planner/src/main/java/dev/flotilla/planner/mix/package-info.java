/**
 * The cheapest heterogeneous GPU mix: how many instances of each deployable GPU configuration to
 * run so that every request-size bucket of a workload is served within its SLO, at the least cost
 * per hour, within what the market can supply now. Pure: JDK, ojAlgo and flotilla-core only, so
 * the same code runs in the planner service and in the simulator.
 *
 * <p>{@link dev.flotilla.planner.mix.MixProblem} holds the inputs (the per-bucket capacities come
 * from the engine model), {@link dev.flotilla.planner.mix.MixOptimizer} states the integer program
 * and solves it, and {@link dev.flotilla.planner.mix.MixSolution} reports the mix, how each bucket
 * is split across it, and the saving against the best single GPU type.
 */
package dev.flotilla.planner.mix;
