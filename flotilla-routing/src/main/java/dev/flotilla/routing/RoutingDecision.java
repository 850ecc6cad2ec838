package dev.flotilla.routing;

import static java.util.Objects.requireNonNull;

/**
 * A router's choice and why, for logs, metrics and the simulator's traces.
 *
 * @param workerId the chosen worker
 * @param strategy the strategy's name, e.g. {@code prefix-affinity}
 * @param reason a short human-readable reason, e.g. {@code "preferred worker over load bound"}
 */
public record RoutingDecision(String workerId, String strategy, String reason) {
    public RoutingDecision {
        requireNonNull(workerId, "workerId is null");
        requireNonNull(strategy, "strategy is null");
        requireNonNull(reason, "reason is null");
    }
}
