package dev.flotilla.traces;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal reader of tar archives (POSIX ustar, GNU and v7 headers): 512-byte header blocks, each
 * followed by its data padded to 512 bytes, two zero blocks at the end. GNU long names ({@code L})
 * and pax {@code path} records are honoured; everything that is not a regular file is skipped.
 * Enough for the ServeGen archives, and no dependency for it.
 */
final class TarReader {
    static final int BLOCK = 512;

    /** One regular file of the archive, read whole (ServeGen entries are under 200 kB). */
    record Entry(String name, byte[] data) {}

    private final InputStream in;
    private final byte[] header = new byte[BLOCK];

    TarReader(InputStream in) {
        this.in = in;
    }

    /** Whether {@code block} is a tar header: a valid checksum over a non-empty block. */
    static boolean isHeader(byte[] block) {
        if (block.length < BLOCK || block[0] == 0) {
            return false;
        }
        long stored;
        try {
            stored = octal(block, 148, 8);
        } catch (IOException e) {
            return false;
        }
        return stored == checksum(block);
    }

    /** The next regular file, or null at the end of the archive. */
    Entry next() throws IOException {
        String longName = null;
        while (true) {
            if (!readBlock(header)) {
                return null; // a missing end marker is tolerated: every entry so far was whole
            }
            if (isZero(header)) {
                return null;
            }
            if (!isHeader(header)) {
                throw new IOException("not a tar archive, or a corrupt header (checksum mismatch)");
            }
            long size = octal(header, 124, 12);
            if (size < 0 || size > Integer.MAX_VALUE - 16) {
                throw new IOException("tar entry of unsupported size " + size);
            }
            byte type = header[156];
            String name = longName != null ? longName : name(header);
            longName = null;
            byte[] data = readData((int) size);
            switch (type) {
                case 'L' -> longName = cString(data, 0, data.length);
                case 'x' -> longName = paxPath(data);
                case '0', 0 -> {
                    return new Entry(name, data);
                }
                default -> { } // directories, links, global pax headers: nothing to read
            }
        }
    }

    private byte[] readData(int size) throws IOException {
        byte[] data = in.readNBytes(size);
        if (data.length < size) {
            throw new EOFException("truncated tar archive: an entry ends after " + data.length + " of " + size + " bytes");
        }
        int pad = (BLOCK - size % BLOCK) % BLOCK;
        in.skipNBytes(pad); // throws EOFException when the archive is cut short
        return data;
    }

    private boolean readBlock(byte[] block) throws IOException {
        int n = in.readNBytes(block, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n < BLOCK) {
            throw new EOFException("truncated tar archive: a header of " + n + " bytes");
        }
        return true;
    }

    private static String name(byte[] h) {
        String name = cString(h, 0, 100);
        // Only POSIX ustar ("ustar\0") has a prefix field; GNU tar ("ustar  ") keeps other data there.
        boolean posix = h[257] == 'u' && h[258] == 's' && h[259] == 't' && h[260] == 'a' && h[261] == 'r' && h[262] == 0;
        String prefix = posix ? cString(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private static String paxPath(byte[] data) {
        // records: "<length> <key>=<value>\n"
        String all = new String(data, StandardCharsets.UTF_8);
        for (String rec : all.split("\n")) {
            int sp = rec.indexOf(' ');
            if (sp > 0 && rec.startsWith("path=", sp + 1)) {
                return rec.substring(sp + 6);
            }
        }
        return null;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    static long octal(byte[] b, int off, int len) throws IOException {
        if ((b[off] & 0x80) != 0) {
            // GNU base-256 for sizes beyond 8 GiB: big-endian after the marker bit
            long v = b[off] & 0x7f;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (b[i] & 0xff);
            }
            return v;
        }
        long v = 0;
        boolean any = false;
        for (int i = off; i < off + len; i++) {
            byte c = b[i];
            if (c == 0 || c == ' ') {
                if (any) {
                    break;
                }
                continue;
            }
            if (c < '0' || c > '7') {
                throw new IOException("bad octal number in tar header");
            }
            v = (v << 3) + (c - '0');
            any = true;
        }
        return v;
    }

    private static long checksum(byte[] h) {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        }
        return sum;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }
}
