package dev.flotilla.agent;

import static java.util.Objects.requireNonNull;

import dev.flotilla.core.FlotillaException;
import java.time.Duration;

/**
 * The supervisor's settings.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>startupTimeout</td><td>10 min</td><td>from launch to a 200 on the health path (large models load slowly)</td></tr>
 *   <tr><td>stopGrace</td><td>30 s</td><td>from SIGTERM to SIGKILL</td></tr>
 *   <tr><td>healthInterval</td><td>500 ms</td><td>between health checks while starting</td></tr>
 *   <tr><td>loadInterval</td><td>1 s</td><td>between {@code GET /load} reads while ready</td></tr>
 *   <tr><td>requestTimeout</td><td>2 s</td><td>per health or load request</td></tr>
 *   <tr><td>logLines</td><td>2000</td><td>lines kept per backend</td></tr>
 * </table>
 */
public record SupervisorConfig(Duration startupTimeout, Duration stopGrace, Duration healthInterval,
        Duration loadInterval, Duration requestTimeout, int logLines) {
    public SupervisorConfig {
        positive("startupTimeout", startupTimeout);
        positive("stopGrace", stopGrace);
        positive("healthInterval", healthInterval);
        positive("loadInterval", loadInterval);
        positive("requestTimeout", requestTimeout);
        if (logLines < 1) {
            throw FlotillaException.invalid("logLines", "logLines must be positive; got " + logLines);
        }
    }

    public static SupervisorConfig defaults() {
        return new SupervisorConfig(Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofMillis(500),
                Duration.ofSeconds(1), Duration.ofSeconds(2), 2_000);
    }

    public SupervisorConfig withStartupTimeout(Duration timeout) {
        return new SupervisorConfig(timeout, stopGrace, healthInterval, loadInterval, requestTimeout, logLines);
    }

    public SupervisorConfig withStopGrace(Duration grace) {
        return new SupervisorConfig(startupTimeout, grace, healthInterval, loadInterval, requestTimeout, logLines);
    }

    private static void positive(String name, Duration d) {
        requireNonNull(d, name + " is null");
        if (d.isNegative() || d.isZero()) {
            throw FlotillaException.invalid(name, name + " must be positive; got " + d);
        }
    }
}
