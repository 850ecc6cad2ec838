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

    @Test
    void readsOnFromAPositionInSlicesAndCountsWhatWasDropped() {
        LogBuffer logs = new LogBuffer(4);
        for (int i = 0; i < 3; i++) {
            logs.append("line " + i);
        }

        LogBuffer.Slice first = logs.since(0, 2);
        assertThat(first.lines()).containsExactly("line 0", "line 1");
        assertThat(first.dropped()).isZero();
        assertThat(first.next()).isEqualTo(2);

        for (int i = 3; i < 9; i++) {
            logs.append("line " + i);
        }
        // lines 2 to 4 fell out of the buffer of 4 before they were read
        LogBuffer.Slice second = logs.since(first.next(), 3);
        assertThat(second.lines()).containsExactly("line 5", "line 6", "line 7");
        assertThat(second.dropped()).isEqualTo(3);
        assertThat(second.next()).isEqualTo(8);

        LogBuffer.Slice rest = logs.since(second.next(), 100);
        assertThat(rest.lines()).containsExactly("line 8");
        assertThat(rest.next()).isEqualTo(9);
        assertThat(logs.since(rest.next(), 100).lines()).isEmpty();
    }
}
