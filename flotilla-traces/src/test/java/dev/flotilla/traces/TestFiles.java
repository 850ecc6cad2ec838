package dev.flotilla.traces;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Small trace files for tests: plain, gzipped, and tar archives written by hand. */
final class TestFiles {
    private TestFiles() {}

    /** The shared data folder, as flotilla-engine's CalibrationTest finds it. */
    static Path sharedData() {
        String property = System.getProperty("flotilla.shared.data");
        Path path = property != null ? Path.of(property) : Path.of("../../shared/data");
        assertThat(path.resolve("traces")).as("shared data at %s", path.toAbsolutePath()).isDirectory();
        return path;
    }

    static Path text(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path gzip(Path file, String content) {
        return write(file, gzipBytes(content.getBytes(StandardCharsets.UTF_8)));
    }

    static Path write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] gzipBytes(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A POSIX ustar archive of {@code entries} (name -> content), in iteration order. */
    static byte[] tar(Map<String, String> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            byte[] data = e.getValue().getBytes(StandardCharsets.UTF_8);
            if (e.getKey().length() > 100) {
                byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
                out.writeBytes(header("././@LongLink", name.length, (byte) 'L'));
                out.writeBytes(padded(name));
                out.writeBytes(header(e.getKey().substring(0, 100), data.length, (byte) '0'));
            } else {
                out.writeBytes(header(e.getKey(), data.length, (byte) '0'));
            }
            out.writeBytes(padded(data));
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    static byte[] header(String name, long size, byte type) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", size));
        put(h, 136, String.format("%011o", 0));
        h[156] = type;
        put(h, 257, "ustar");
        put(h, 263, "00");
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static byte[] padded(byte[] data) {
        byte[] p = new byte[(data.length + 511) / 512 * 512];
        System.arraycopy(data, 0, p, 0, data.length);
        return p;
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }
}
