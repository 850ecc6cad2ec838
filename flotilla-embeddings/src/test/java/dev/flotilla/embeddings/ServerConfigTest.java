package dev.flotilla.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
    @Test
    void noFlagsGiveTheDocumentedDefaults() {
        assertThat(ServerConfig.parse(List.of())).isEqualTo(new ServerConfig("0.0.0.0", 8000, "all-MiniLM-L6-v2",
                new BatchPolicy(32, Duration.ofMillis(2)), 2048, 16 * 1024 * 1024));
    }

    @Test
    void everyFlagMapsToItsSetting() {
        ServerConfig config = ServerConfig.parse(List.of("--host", "127.0.0.1", "--port", "0",
                "--served-model-name", "minilm", "--batch-max-size", "8", "--batch-max-wait-ms", "5",
                "--max-inputs", "100", "--max-body-bytes", "1024"));

        assertThat(config).isEqualTo(new ServerConfig("127.0.0.1", 0, "minilm",
                new BatchPolicy(8, Duration.ofMillis(5)), 100, 1024));
    }

    @Test
    void rejectsUnknownFlagsAndBadValuesByName() {
        assertThatThrownBy(() -> ServerConfig.parse(List.of("--prot", "1"))).hasMessageContaining("unknown flag --prot");
        assertThatThrownBy(() -> ServerConfig.parse(List.of("--port", "x"))).hasMessageContaining("--port is \"x\"");
        assertThatThrownBy(() -> ServerConfig.parse(List.of("--port"))).hasMessageContaining("--port needs a value");
        assertThatThrownBy(() -> ServerConfig.parse(List.of("--port", "70000"))).hasMessageContaining("port is 70000");
        assertThatThrownBy(() -> ServerConfig.parse(List.of("--batch-max-size", "0")))
                .hasMessageContaining("maxBatchSize is 0");
    }
}
