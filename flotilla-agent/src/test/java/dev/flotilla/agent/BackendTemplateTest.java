package dev.flotilla.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.core.FlotillaException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendTemplateTest {
    @Test
    void unknownPlaceholdersAreNamedWithTheAcceptedOnes() {
        assertThatThrownBy(() -> BackendTemplate.parse("mine", "serve {model} --port {prot} --x {bogus}", Map.of(),
                "/health", "", ""))
                .isInstanceOf(FlotillaException.class)
                .hasMessageContaining("template mine uses unknown placeholders {bogus}, {prot}")
                .hasMessageContaining("accepted: {classpath}, {gpu}, {gpus}, {java}, {model}, {port}, {served}, {tp}");
    }

    @Test
    void unknownPlaceholderInEnvironmentIsNamed() {
        assertThatThrownBy(() -> BackendTemplate.parse("mine", "serve {model}", Map.of("CUDA_VISIBLE_DEVICES",
                "{devices}"), "/health", "", "")).hasMessageContaining("unknown placeholder {devices}");
    }

    @Test
    void valuesWithSpacesStayOneArgumentAndNoShellRuns() {
        BackendTemplate t = BackendTemplates.of("vllm");
        LaunchSpec spec = LaunchSpec.of("/models/my model; rm -rf /", "H100_SXM", List.of(2, 3));
        Map<String, String> values = BackendTemplate.values(spec, 20001, "java", "cp");

        assertThat(t.argv(values, List.of("--max-model-len", "4096"))).containsExactly("vllm", "serve",
                "/models/my model; rm -rf /", "--served-model-name", "/models/my model; rm -rf /", "--port", "20001", "--host", "127.0.0.1", "--tensor-parallel-size", "2",
                "--max-model-len", "4096");
        assertThat(t.environment(values)).containsExactly(Map.entry("CUDA_VISIBLE_DEVICES", "2,3"));
    }

    @Test
    void builtInEmulatorUsesTheGivenJavaAndClassPathAndAnswersToTheServedName() {
        LaunchSpec spec = LaunchSpec.of("Llama-3.1-8B", "H100_SXM", List.of()).withServedName("llama");
        List<String> argv = BackendTemplates.of("emulator").argv(BackendTemplate.values(spec, 20002,
                "/jdk/bin/java", "a.jar:b.jar"), List.of());

        assertThat(argv).containsExactly("/jdk/bin/java", "-cp", "a.jar:b.jar", "dev.flotilla.emulator.EmulatorServer",
                "--port", "20002", "--model", "Llama-3.1-8B", "--served-model-name", "llama", "--gpu", "H100_SXM",
                "--gpus", "1");
    }

    @Test
    void everyShippedTemplateButTgiAnswersToTheServedName() {
        LaunchSpec spec = LaunchSpec.of("meta-llama/Llama-3.1-8B-Instruct", "H100_SXM", List.of(0))
                .withServedName("my-endpoint");
        BackendTemplates.all().values().forEach(t -> {
            List<String> argv = t.argv(BackendTemplate.values(spec, 20003, "java", "cp"), List.of());
            if (t.name().equals("tgi")) {
                assertThat(argv).as(t.name()).doesNotContain("my-endpoint");
            } else {
                assertThat(argv).as(t.name()).contains("my-endpoint");
            }
        });
    }

    @Test
    void everyShippedTemplateListensOnItsPortAndHasAHealthPath() {
        assertThat(BackendTemplates.all().keySet()).containsExactly("vllm", "sglang", "llama-server", "tgi",
                "emulator", "embeddings");
        BackendTemplates.all().values().forEach(t -> {
            assertThat(t.command()).as(t.name()).contains("{port}");
            assertThat(t.healthPath()).as(t.name()).isEqualTo("/health");
        });
        assertThat(BackendTemplates.of("emulator").readyPattern().orElseThrow().matcher("listening on 41234").find())
                .isTrue();
    }

    @Test
    void unknownTemplateNameListsTheKnownOnes() {
        assertThatThrownBy(() -> BackendTemplates.of("vlm")).hasMessageContaining("unknown backend template 'vlm'")
                .hasMessageContaining("vllm, sglang, llama-server, tgi, emulator, embeddings");
    }

    @Test
    void argvSplitsOnWhitespaceAndHonoursQuotes() {
        assertThat(Argv.split("  a 'b c' \"d \\\"e\\\"\" f\\ g ''  ")).containsExactly("a", "b c", "d \"e\"", "f g", "");
        assertThatThrownBy(() -> Argv.split("a 'b")).hasMessageContaining("unclosed ' quote");
    }

    @Test
    void invalidReadySignalIsRefused() {
        assertThatThrownBy(() -> BackendTemplate.parse("x", "x {port}", Map.of(), "/health", "([", ""))
                .hasMessageContaining("ready signal is not a valid regular expression");
    }
}
