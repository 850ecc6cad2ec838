package dev.flotilla.traces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TarReaderTest {
    @Test
    void readsRegularFilesIncludingGnuLongNames() throws IOException {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("language/m-small/chunk-1-trace.csv", "0,1,1,Gamma,1,1\n");
        String longName = "data/" + "x".repeat(120) + "/chunk-2-trace.csv";
        entries.put(longName, "a".repeat(1_000));
        entries.put("empty.txt", "");
        TarReader tar = new TarReader(new ByteArrayInputStream(TestFiles.tar(entries)));
        TarReader.Entry a = tar.next();
        assertThat(a.name()).isEqualTo("language/m-small/chunk-1-trace.csv");
        assertThat(new String(a.data(), StandardCharsets.UTF_8)).isEqualTo("0,1,1,Gamma,1,1\n");
        TarReader.Entry b = tar.next();
        assertThat(b.name()).isEqualTo(longName);
        assertThat(b.data()).hasSize(1_000);
        assertThat(tar.next().data()).isEmpty();
        assertThat(tar.next()).isNull();
    }

    @Test
    void refusesACorruptHeaderAndATruncatedEntry() {
        byte[] tar = TestFiles.tar(Map.of("a.csv", "x".repeat(2_000)));
        byte[] corrupt = tar.clone();
        corrupt[10] ^= 1;
        assertThat(TarReader.isHeader(Arrays.copyOf(corrupt, 512))).isFalse();
        assertThatThrownBy(() -> new TarReader(new ByteArrayInputStream(corrupt)).next()).isInstanceOf(IOException.class).hasMessageContaining("checksum");
        byte[] cut = Arrays.copyOf(tar, 512 + 700);
        assertThatThrownBy(() -> new TarReader(new ByteArrayInputStream(cut)).next()).isInstanceOf(IOException.class).hasMessageContaining("truncated");
    }

    @Test
    void textIsNotATarHeader() {
        byte[] csv = "0,0.5,1,Gamma,1,2\n".repeat(40).getBytes(StandardCharsets.UTF_8);
        assertThat(TarReader.isHeader(Arrays.copyOf(csv, 512))).isFalse();
        assertThat(TarReader.isHeader(TestFiles.header("a", 0, (byte) '0'))).isTrue();
    }
}
