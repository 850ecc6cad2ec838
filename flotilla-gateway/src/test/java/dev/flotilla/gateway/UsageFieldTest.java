package dev.flotilla.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UsageFieldTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsTheUsageObjectAtTheEnd() {
        assertThat(UsageField.of(b("{\"choices\":[{\"text\":\"hi\"}], \"usage\" : {\"prompt_tokens\":3,\"completion_tokens\":5}}")))
                .hasValueSatisfying(u -> assertThat(u.get("completion_tokens").asLong()).isEqualTo(5));
    }

    @Test
    void aLaterUsageKeyThatIsNotTheUsageObjectFallsBackToTheWholeDocument() {
        // the last "usage": is a nested key with another meaning; text inside a string never matches
        // (its quotes are escaped), so this is the case the fallback exists for
        String json = "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2},\"meta\":{\"usage\":7}}";
        assertThat(UsageField.of(b(json))).hasValueSatisfying(u -> assertThat(u.get("prompt_tokens").asLong()).isEqualTo(1));
    }

    @Test
    void noUsageOrNoJsonIsEmpty() {
        assertThat(UsageField.of(b("{\"choices\":[]}"))).isEmpty();
        assertThat(UsageField.of(b("not json \"usage\": nope"))).isEmpty();
        assertThat(UsageField.of(b(""))).isEmpty();
    }
}
