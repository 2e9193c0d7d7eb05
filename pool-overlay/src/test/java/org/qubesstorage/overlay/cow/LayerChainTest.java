package org.qubesstorage.overlay.cow;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("A chain of layers read in Java")
class LayerChainTest {
    private static final CowGeometry G = new CowGeometry(8);
    private static final int CHUNK = G.chunkBytes();
    private static final long SIZE = 512L * CHUNK + 1000; // the last chunk is partial

    @TempDir
    Path dir;

    @Test
    @DisplayName("each chunk reads from the topmost layer holding it, else the base; the export is that image, holes kept")
    void composeAndExport() throws Exception {
        List<long[]> baseData = List.of(new long[] {0, 64L * CHUNK}, new long[] {300L * CHUNK, 301L * CHUNK + 17});
        Path base = CowFiles.image(dir.resolve("base.img"), SIZE, 7, baseData);
        try (CowStore lower = CowStore.create(dir.resolve("l1"), G, SIZE); CowStore upper = CowStore.create(dir.resolve("l2"), G, SIZE)) {
            for (long c : new long[] {3, 100, 512}) {
                lower.write(c, CowFiles.chunk(CHUNK, 1, c));
            }
            for (long c : new long[] {3, 200}) {
                upper.write(c, CowFiles.chunk(CHUNK, 2, c));
            }
            lower.commit();
            upper.commit();
            Path expected = dir.resolve("expected.img");
            Files.copy(base, expected);
            try (FileChannel e = FileChannel.open(expected, StandardOpenOption.WRITE)) {
                e.write(CowFiles.chunk(CHUNK, 1, 100), 100L * CHUNK);
                e.write(CowFiles.chunk(CHUNK, 1, 512).limit(1000), 512L * CHUNK); // the partial last chunk
                e.write(CowFiles.chunk(CHUNK, 2, 3), 3L * CHUNK);
                e.write(CowFiles.chunk(CHUNK, 2, 200), 200L * CHUNK);
            }
            try (FileChannel b = FileChannel.open(base, StandardOpenOption.READ)) {
                LayerChain chain = new LayerChain(b, SIZE, List.of(lower, upper));
                ByteBuffer buf = ByteBuffer.allocate(CHUNK);
                chain.readChunk(3, buf);
                assertThat(buf.flip()).as("chunk 3 from the upper layer").isEqualTo(CowFiles.chunk(CHUNK, 2, 3));
                assertThat(chain.chunksWithData(baseData)).hasSize(64 + 2 + 2 + 1); // base extents, 100, 512, 200 (3 is in the base's)

                Path flat = dir.resolve("flat.img");
                chain.exportTo(flat, baseData);
                assertThat(Files.size(flat)).isEqualTo(SIZE);
                assertThat(CowFiles.sha256(flat, SIZE)).isEqualTo(CowFiles.sha256(expected, SIZE));
                long allocated = allocatedBytes(flat);
                assertThat(allocated).as("the export keeps the holes").isLessThan(80L * CHUNK);
            }
        }
    }

    @Test
    @DisplayName("a volume larger than its base reads zeros past the base's end")
    void grownVolume() throws Exception {
        Path base = CowFiles.image(dir.resolve("base.img"), 10L * CHUNK, 3, List.of(new long[] {0, 10L * CHUNK}));
        try (CowStore layer = CowStore.create(dir.resolve("l"), G, 20L * CHUNK);
                FileChannel b = FileChannel.open(base, StandardOpenOption.READ)) {
            LayerChain chain = new LayerChain(b, 20L * CHUNK, List.of(layer));
            ByteBuffer buf = ByteBuffer.allocate(CHUNK);
            chain.readChunk(15, buf);
            assertThat(buf.flip()).isEqualTo(ByteBuffer.allocate(CHUNK));
        }
    }

    @Test
    @DisplayName("merging a layer into the one below it gives a layer that composes as the two did, from their own chunks only")
    void merge() throws Exception {
        Path base = CowFiles.image(dir.resolve("base.img"), SIZE, 5, List.of(new long[] {0, SIZE}));
        try (CowStore lower = CowStore.create(dir.resolve("l1"), G, SIZE); CowStore upper = CowStore.create(dir.resolve("l2"), G, SIZE)) {
            for (long c = 0; c < 300; c++) {
                lower.write(c, CowFiles.chunk(CHUNK, 1, c));
                upper.write(c + 150, CowFiles.chunk(CHUNK, 2, c + 150));
            }
            lower.commit();
            upper.commit();
            LayerMerge.merge(lower, upper, dir.resolve("merged"), SIZE);
            try (CowStore merged = CowStore.open(dir.resolve("merged"), false); FileChannel b = FileChannel.open(base, StandardOpenOption.READ)) {
                assertThat(merged.exceptionCount()).isEqualTo(450);
                assertThat(merged.usedBytes()).isLessThan(460L * CHUNK);
                new LayerChain(b, SIZE, List.of(lower, upper)).exportTo(dir.resolve("two.img"), null);
                new LayerChain(b, SIZE, List.of(merged)).exportTo(dir.resolve("one.img"), null);
                assertThat(CowFiles.sha256(dir.resolve("one.img"), SIZE)).isEqualTo(CowFiles.sha256(dir.resolve("two.img"), SIZE));
            }
        }
    }

    /** Bytes the file system allocated to {@code p} ({@code stat %b} blocks of 512 bytes). */
    static long allocatedBytes(Path p) throws Exception {
        Process stat = new ProcessBuilder("stat", "-c", "%b", "--", p.toString()).start();
        String out = new String(stat.getInputStream().readAllBytes()).strip();
        stat.waitFor();
        return Long.parseLong(out) * 512;
    }
}
