package dev.flotilla.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class SseScannerTest {
    @Test
    void countsEventsFindsUsageAndDoneAcrossSplitBuffers() {
        String stream = "data: {\"choices\":[{\"delta\":{\"content\":\" a\"}}],\"usage\":null}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\" b\"}}],\"usage\":null}\r\n\r\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2}}\n\n"
                + "data: [DONE]\n\n";
        SseScanner scanner = new SseScanner();
        for (int i = 0; i < stream.length(); i += 5) {
            scanner.feed(Buffer.buffer(stream.substring(i, Math.min(stream.length(), i + 5))));
        }
        assertThat(scanner.dataEvents()).isEqualTo(2);
        assertThat(scanner.sawDone()).isTrue();
        assertThat(scanner.usage()).hasValueSatisfying(u -> {
            assertThat(u.path("prompt_tokens").asLong()).isEqualTo(7);
            assertThat(u.path("completion_tokens").asLong()).isEqualTo(2);
        });
    }

    @Test
    void streamWithoutDoneOrUsageSaysSo() {
        SseScanner scanner = new SseScanner();
        scanner.feed(Buffer.buffer("data: {\"choices\":[]}\n\ndata: {\"choi"));
        assertThat(scanner.sawDone()).isFalse();
        assertThat(scanner.usage()).isEmpty();
        assertThat(scanner.dataEvents()).isEqualTo(1);
    }
}
