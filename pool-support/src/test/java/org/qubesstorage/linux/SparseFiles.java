package org.qubesstorage.linux;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.Random;

/** Test helper: sparse files with data at chosen places. */
public final class SparseFiles {
    private SparseFiles() {}

    /** A sparse file of {@code size} bytes (all hole). */
    public static Path create(Path file, long size) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    /** Writes {@code length} bytes of seeded random data at {@code offset}. */
    public static void writeRandom(Path file, long offset, int length, long seed) throws IOException {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        write(file, offset, b);
    }

    public static void write(Path file, long offset, byte[] data) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            raf.write(data);
        }
    }

    /** Bytes the file really occupies on disk (st_blocks × 512), from {@code stat}. */
    public static long allocated(Path file) throws IOException {
        try {
            Process p = new ProcessBuilder("stat", "-c", "%b", file.toString()).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor();
            return Long.parseLong(out) * 512;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
