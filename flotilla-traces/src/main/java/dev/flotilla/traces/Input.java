package dev.flotilla.traces;

import dev.flotilla.core.ErrorCode;
import dev.flotilla.core.FlotillaException;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opening trace files: gzip is recognised by its magic bytes, not by the name. */
final class Input {
    static final int BUFFER = 1 << 16;

    private Input() {}

    /** The file's bytes, gunzipped when they are gzip; an invalid-argument error when it cannot be read. */
    static InputStream open(Path file) {
        if (!Files.exists(file)) {
            throw FlotillaException.invalid("trace", "trace file " + file + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw FlotillaException.invalid("trace", "trace file " + file + " is not a regular file");
        }
        try {
            InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER);
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                return new BufferedInputStream(new GZIPInputStream(raw, BUFFER), BUFFER);
            }
            return raw;
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    static FlotillaException unreadable(Path file, IOException e) {
        // Corrupt or truncated gzip lands here too: bad input, not our bug.
        return new FlotillaException(ErrorCode.INVALID_ARGUMENT, "trace",
                "cannot read trace file " + file + ": " + e.getMessage(), e);
    }

    /** {@code name.csv.gz} -> {@code name}. */
    static String baseName(Path file) {
        String n = file.getFileName().toString();
        for (String ext : new String[] {".gz", ".tar", ".jsonl", ".json", ".csv"}) {
            if (n.endsWith(ext) && n.length() > ext.length()) {
                n = n.substring(0, n.length() - ext.length());
            }
        }
        return n;
    }

    /** Lines of a text stream with their 1-based numbers, as error messages quote them. */
    static final class Lines implements AutoCloseable {
        private final BufferedReader reader;
        private final Path file;
        private int number;

        Lines(InputStream in, Path file) {
            this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), BUFFER);
            this.file = file;
        }

        static Lines open(Path file) {
            return new Lines(Input.open(file), file);
        }

        /** The next line without its terminator (CRLF too), or null at the end. */
        String next() {
            try {
                String line = reader.readLine();
                if (line != null) {
                    number++;
                }
                return line;
            } catch (IOException e) {
                throw unreadable(file, e);
            }
        }

        /** The next line that is not blank, or null at the end. */
        String nextNonBlank() {
            String line;
            do {
                line = next();
            } while (line != null && line.isBlank());
            return line;
        }

        int number() {
            return number;
        }

        Path file() {
            return file;
        }

        @Override
        public void close() {
            try {
                reader.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
