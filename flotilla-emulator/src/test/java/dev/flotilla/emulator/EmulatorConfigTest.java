package dev.flotilla.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EmulatorConfigTest {
    @Test
    void defaultsServeLlama8bOnOneH100InRealTime() {
        assertThat(EmulatorConfig.parse()).isEqualTo(new EmulatorConfig(8000, "Llama-3.1-8B", "Llama-3.1-8B",
                "H100_SXM", 1, 1.0, 0));
    }

    @Test
    void readsEveryFlag() {
        assertThat(EmulatorConfig.parse("--port", "0", "--model", "Qwen3-8B", "--served-model-name", "qwen",
                "--gpu", "RTX_4090", "--gpus", "2", "--time-scale", "0.01", "--max-model-len", "4096"))
                .isEqualTo(new EmulatorConfig(0, "Qwen3-8B", "qwen", "RTX_4090", 2, 0.01, 4096));
        assertThat(EmulatorConfig.parse("--tensor-parallel", "4").tensorParallel()).isEqualTo(4);
    }

    @Test
    void refusesUnknownFlagsAndBadValuesNamingThem() {
        assertThatThrownBy(() -> EmulatorConfig.parse("--colour", "red")).hasMessageContaining("--colour")
                .hasMessageContaining("--time-scale");
        assertThatThrownBy(() -> EmulatorConfig.parse("--port", "eighty")).hasMessageContaining("'eighty'");
        assertThatThrownBy(() -> EmulatorConfig.parse("--time-scale", "0")).hasMessageContaining("--time-scale");
        assertThatThrownBy(() -> EmulatorConfig.parse("--port")).hasMessageContaining("needs a value");
    }

    @Test
    void serverRefusesAMaxModelLenBeyondTheKvCache() {
        EmulatorConfig config = new EmulatorConfig(0, "Llama-3.1-8B", "m", "RTX_4090", 1, 1.0, 100_000);
        assertThatThrownBy(() -> EmulatorServer.start(config)).hasMessageContaining("--max-model-len 100000");
    }
}
