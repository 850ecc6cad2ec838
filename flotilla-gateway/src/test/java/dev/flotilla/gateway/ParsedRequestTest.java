package dev.flotilla.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class ParsedRequestTest {
    @Test
    void readsModelStreamMaxTokensAndPromptText() {
        ParsedRequest r = ParsedRequest.parse(Buffer.buffer("{\"model\":\"m\",\"stream\":true,\"max_tokens\":9,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"abc\"}]}]}"));
        assertThat(r.model()).isEqualTo("m");
        assertThat(r.stream()).isTrue();
        assertThat(r.maxTokens()).isEqualTo(9);
        assertThat(r.promptText()).isEqualTo("Hello thereabc");
        // 14 characters = 4 tokens, + 4 per message + 3 to prime the reply.
        assertThat(r.promptTokens()).isEqualTo(4 + 8 + 3);
    }

    @Test
    void refusesBadBodiesWith400NamingTheField() {
        assertThatThrownBy(() -> ParsedRequest.parse(Buffer.buffer("{\"model\":")))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.error().status()).isEqualTo(400));
        assertThatThrownBy(() -> ParsedRequest.parse(Buffer.buffer("{\"model\":\"m\"} trailing")))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.error().status()).isEqualTo(400));
        assertThatThrownBy(() -> ParsedRequest.parse(Buffer.buffer("{\"model\":\"m\",\"max_tokens\":1.5}")))
                .isInstanceOfSatisfying(GatewayException.class,
                        e -> assertThat(e.error().param()).isEqualTo("max_tokens"));
        assertThatThrownBy(() -> ParsedRequest.parse(Buffer.buffer("{\"model\":3}")))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.error().param()).isEqualTo("model"));
    }
}
