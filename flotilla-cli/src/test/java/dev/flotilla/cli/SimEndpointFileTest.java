package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.autoscale.ScalingSettings;
import dev.flotilla.cli.client.CliException;
import dev.flotilla.core.Money;
import dev.flotilla.sim.SimConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimEndpointFileTest {
    @TempDir
    Path dir;

    private SimEndpointFile.Loaded read(String yaml) throws Exception {
        Path f = dir.resolve("endpoint.yaml");
        Files.writeString(f, yaml);
        return SimEndpointFile.read(f, ScalingSettings.defaults().withMaxWorkers(64), SimConfig.defaults());
    }

    private void assertRejected(String yaml, String... fragments) {
        assertThatThrownBy(() -> read(yaml)).isInstanceOfSatisfying(CliException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(2);
            assertThat(e.getMessage()).contains("endpoint.yaml").contains(fragments);
        });
    }

    @Test
    void everyKeyMapsOntoTheSettingsAndTheSimulatorConfig() throws Exception {
        SimEndpointFile.Loaded l = read("""
                min_workers: 1
                max_workers: 12
                min_load: 0.5
                target_util: 0.6
                cold_mult: 1.5
                cold_workers: 2
                inactivity_timeout: 10m
                max_queue_time: 45s
                target_queue_time: 1500ms
                stable_window: PT2M
                panic_window: 10
                panic_threshold: 3.0
                max_scale_up_rate: 10
                max_scale_down_rate: 4
                scale_to_zero_grace: 0
                capacity: on-demand
                gpu: A100_SXM4_80GB
                model: Llama-3.1-8B
                concurrency: 16
                on_demand_price_per_hour: 2.35
                interruptible_price_per_hour: 1.10
                """);
        ScalingSettings s = l.settings();
        assertThat(s).isEqualTo(new ScalingSettings(1, 12, 0.5, 0.6, 1.5, 2, Duration.ofMinutes(10),
                Duration.ofSeconds(45), Duration.ofMillis(1500), Duration.ofMinutes(2), Duration.ofSeconds(10), 3.0, 10,
                4, Duration.ZERO));
        SimConfig c = l.config();
        assertThat(c.interruptible()).isFalse();
        assertThat(c.preemptionsPerHour()).isZero();
        assertThat(c.deployment().gpu().id()).isEqualTo("A100_SXM4_80GB");
        assertThat(c.concurrency()).isEqualTo(16);
        assertThat(l.concurrencySet()).isTrue();
        assertThat(c.onDemandPricePerHour()).isEqualTo(Money.ofMicros(2_350_000));
        assertThat(c.interruptiblePricePerHour()).isEqualTo(Money.ofMicros(1_100_000));
    }

    @Test
    void missingKeysKeepTheDefaultsAndAnEmptyFileChangesNothing() throws Exception {
        SimEndpointFile.Loaded l = read("target_util: 0.5\n");
        assertThat(l.settings()).isEqualTo(ScalingSettings.defaults().withMaxWorkers(64).withTargetUtil(0.5));
        assertThat(l.config()).isEqualTo(SimConfig.defaults());
        assertThat(l.concurrencySet()).isFalse();

        assertThat(read("# nothing set\n").settings()).isEqualTo(ScalingSettings.defaults().withMaxWorkers(64));
    }

    @Test
    void anUnknownKeyIsNamedWithTheAcceptedOnes() {
        assertRejected("max_worker: 4\n", "unknown key 'max_worker'", "max_workers", "target_util");
    }

    @Test
    void badValuesNameTheKeyAndWhatIsAccepted() {
        assertRejected("target_util: 1.5\n", "target_util must be in (0, 1], got 1.5");
        assertRejected("target_util: high\n", "target_util must be a number, got 'high'");
        assertRejected("max_workers: 2.5\n", "max_workers must be a whole number, got 2.5");
        assertRejected("min_workers: 5\nmax_workers: 2\n", "min_workers (5) must not exceed max_workers (2)");
        assertRejected("inactivity_timeout: soon\n", "inactivity_timeout must be a duration", "5m", "got 'soon'");
        assertRejected("max_queue_time: -5\n", "max_queue_time must not be negative");
        assertRejected("capacity: spot\n", "capacity must be interruptible or on-demand, got 'spot'");
        assertRejected("gpu: H900\n", "unknown gpu 'H900'", "H100_SXM");
        assertRejected("model: gpt-9\n", "unknown model 'gpt-9'");
        assertRejected("concurrency: 0\n", "concurrency must be >= 1");
        assertRejected("on_demand_price_per_hour: -1\n", "on_demand_price_per_hour must be a price");
    }

    @Test
    void aFileThatIsNotAMappingOrNotYamlIsRejected() {
        assertRejected("- min_workers\n- 3\n", "must be a mapping");
        assertRejected("min_workers: [1\n", "cannot read it as YAML");
    }
}
