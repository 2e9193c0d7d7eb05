package org.qubesstorage.overlay.cow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/** Test data for layers: chunks whose content names their layer and chunk, images with holes. */
public final class CowFiles {
    private CowFiles() {}

    /** A chunk of {@code bytes} filled from a seed made of {@code tag} and {@code chunk}: each is recognisable. */
    public static ByteBuffer chunk(int bytes, long tag, long chunk) {
        byte[] b = new byte[bytes];
        new Random(tag * 1_000_003L + chunk).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    /**
     * A sparse image of {@code size} with random data in the given {@code [start, end)} byte
     * ranges and holes elsewhere.
     */
    public static Path image(Path path, long size, long seed, List<long[]> dataRanges) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            Random r = new Random(seed);
            for (long[] range : dataRanges) {
                byte[] b = new byte[(int) (range[1] - range[0])];
                r.nextBytes(b);
                ByteBuffer buf = ByteBuffer.wrap(b);
                long pos = range[0];
                while (buf.hasRemaining()) {
                    pos += ch.write(buf, pos);
                }
            }
            if (ch.size() < size) {
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
        }
        return path;
    }

    /** The SHA-256 of the first {@code size} bytes of {@code path}. */
    public static String sha256(Path path, long size) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(path)) {
            byte[] buf = new byte[1 << 16];
            long left = size;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException(path + " is shorter than " + size);
                }
                md.update(buf, 0, n);
                left -= n;
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * The SHA-256 of the volume {@code base} and {@code layers} (bottom to top) compose, as the
     * Java chain exports it; {@code baseData}: the base's data extents, or null for all of it.
     */
    public static String composedSha256(Path base, List<Path> layers, long size, List<long[]> baseData) throws Exception {
        Path flat = base.resolveSibling("flat-" + System.nanoTime());
        List<CowStore> stores = new java.util.ArrayList<>();
        try (FileChannel b = FileChannel.open(base, StandardOpenOption.READ)) {
            for (Path p : layers) {
                stores.add(CowStore.open(p, false));
            }
            new LayerChain(b, size, stores).exportTo(flat, baseData);
            return sha256(flat, size);
        } finally {
            stores.forEach(CowStore::close);
            Files.deleteIfExists(flat);
        }
    }
}
