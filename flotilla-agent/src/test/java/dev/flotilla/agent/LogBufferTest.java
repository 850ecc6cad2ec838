package dev.flotilla.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogBufferTest {
    @Test
    void keepsOnlyTheLastLines() {
        LogBuffer logs = new LogBuffer(3);
        for (int i = 1; i <= 5; i++) {
            logs.append("line " + i);
        }

        assertThat(logs.lines()).containsExactly("line 3", "line 4", "line 5");
        assertThat(logs.tail(2)).containsExactly("line 4", "line 5");
        assertThat(logs.tail(10)).containsExactly("line 3", "line 4", "line 5");
        assertThat(logs.total()).isEqualTo(5);
    }

    @Test
    void cutsARunawayLine() {
        LogBuffer logs = new LogBuffer(2);
        logs.append("x".repeat(LogBuffer.MAX_LINE_CHARS * 2));

        assertThat(logs.lines().getFirst()).hasSizeLessThan(LogBuffer.MAX_LINE_CHARS + 64).endsWith("characters]");
    }
}
