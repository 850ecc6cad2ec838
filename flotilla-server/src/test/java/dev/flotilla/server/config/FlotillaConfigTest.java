package dev.flotilla.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlotillaConfigTest {
    @Test
    void defaultsAreDocumentedValues() {
        FlotillaConfig c = FlotillaConfig.defaultsOnly();
        assertThat(c.httpHost()).isEqualTo("127.0.0.1");
        assertThat(c.httpPort()).isEqualTo(8080);
        assertThat(c.maxBodyBytes()).isEqualTo(1_048_576);
        assertThat(c.platformFeeBps()).isEqualTo(1000);
        assertThat(c.creditGracePeriod()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.meterInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.heartbeatTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.defaultDiskGb()).isEqualTo(10);
        assertThat(c.dbUrl()).startsWith("jdbc:h2:file:").contains(".flotilla");
        assertThat(c.embeddedDatabase()).isTrue();
    }

    @Test
    void everyKeyMapsFromTheFileAndEnvironmentOverridesIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("flotilla.yaml");
        Files.writeString(f, """
                http:
                  host: 0.0.0.0
                  port: 9000
                  max-body-bytes: 4096
                data-dir: /var/lib/flotilla
                db.url: jdbc:postgresql://db:5432/flotilla
                db:
                  user: fl
                  password: secret
                  pool-size: 4
                market:
                  platform-fee-bps: 500
                  credit-grace-period: 5m
                  meter-interval: PT30S
                  heartbeat-timeout: 2m
                  default-disk-gb: 20
                  offer-cache-ttl: 500ms
                """);
        FlotillaConfig c = FlotillaConfig.load(Optional.of(f), Map.of("FLOTILLA_HTTP_PORT", "9100"), Map.of());
        assertThat(c.httpHost()).isEqualTo("0.0.0.0");
        assertThat(c.httpPort()).isEqualTo(9100);
        assertThat(c.maxBodyBytes()).isEqualTo(4096);
        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/flotilla"));
        assertThat(c.dbUrl()).isEqualTo("jdbc:postgresql://db:5432/flotilla");
        assertThat(c.dbUser()).isEqualTo("fl");
        assertThat(c.dbPassword()).isEqualTo("secret");
        assertThat(c.dbPoolSize()).isEqualTo(4);
        assertThat(c.platformFeeBps()).isEqualTo(500);
        assertThat(c.creditGracePeriod()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.meterInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.heartbeatTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.defaultDiskGb()).isEqualTo(20);
        assertThat(c.offerCacheTtl()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.embeddedDatabase()).isFalse();
    }

    @Test
    void anUnknownOrMalformedSettingIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "http:\n  prot: 9000\n");
        assertThatThrownBy(() -> FlotillaConfig.load(Optional.of(f), Map.of(), Map.of())).hasMessageContaining("http.prot");
        assertThatThrownBy(() -> FlotillaConfig.load(Optional.empty(), Map.of("FLOTILLA_HTTP_PORT", "eighty"), Map.of()))
                .hasMessageContaining("http.port").hasMessageContaining("eighty");
        assertThatThrownBy(() -> FlotillaConfig.load(Optional.empty(), Map.of("FLOTILLA_MARKET_METER_INTERVAL", "soon"),
                Map.of())).hasMessageContaining("market.meter-interval");
        assertThatThrownBy(() -> FlotillaConfig.load(Optional.empty(), Map.of(), Map.of("market.platform-fee-bps", "9000")))
                .hasMessageContaining("platform-fee-bps");
        assertThatThrownBy(() -> FlotillaConfig.load(Optional.empty(), Map.of("FLOTILLA_GATEWAY_PORT", "-2"), Map.of()))
                .hasMessageContaining("gateway.port").hasMessageContaining("-1 to run no gateway");
        assertThatThrownBy(() -> FlotillaConfig.load(Optional.empty(), Map.of(), Map.of("gateway.requests-per-minute", "0")))
                .hasMessageContaining("gateway.requests-per-minute");
        assertThatThrownBy(() -> FlotillaConfig.load(Optional.empty(), Map.of(), Map.of("serving.reconcile-interval", "0s")))
                .hasMessageContaining("serving.reconcile-interval");
    }

    @Test
    void servingSettingsComeFromTheEnvironment() {
        FlotillaConfig c = FlotillaConfig.load(Optional.empty(), Map.of("FLOTILLA_GATEWAY_PORT", "9181",
                "FLOTILLA_GATEWAY_TOKENS_PER_MINUTE", "5000", "FLOTILLA_SERVING_DRAIN_TIMEOUT", "2m"), Map.of());
        org.assertj.core.api.Assertions.assertThat(c.gatewayPort()).isEqualTo(9181);
        org.assertj.core.api.Assertions.assertThat(c.tokensPerMinute()).isEqualTo(5000);
        org.assertj.core.api.Assertions.assertThat(c.drainTimeout()).isEqualTo(java.time.Duration.ofMinutes(2));
    }
}
