package org.qubesstorage.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Planning which blocks to share")
class DuplicatePlannerTest {
    private static final int BS = 4096;

    @TempDir
    Path work;

    private static long loc(int file, long block) {
        return (long) file << 32 | block;
    }

    /** Index records [hash hi, hash lo, physical, location] for one bucket. */
    private static long[] records(long[]... rows) {
        long[] out = new long[rows.length * 4];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * 4, 4);
        }
        return out;
    }

    private static List<long[]> moves(RecordBuckets buckets) {
        buckets.finishWriting();
        List<long[]> out = new ArrayList<>();
        for (int b = 0; b < buckets.buckets(); b++) {
            long[] m = buckets.load(b);
            for (int i = 0; i < m.length; i += 2) {
                out.add(new long[] {m[i], m[i + 1]});
            }
        }
        return out;
    }

    private final List<DedupSource> sources = List.of(new DedupSource(Path.of("/a"), "A"), new DedupSource(Path.of("/b"), "B"),
            new DedupSource(Path.of("/c"), "C"));

    @Test
    @DisplayName("keeps the first volume's copy, moves the others, and counts storage once per place")
    void keepsFirstCopy() {
        DuplicatePlanner planner = new DuplicatePlanner(BS, sources);
        try (RecordBuckets moves = new RecordBuckets(work, "m", 4, 2, 1 << 20)) {
            planner.plan(records(
                    new long[] {7, 7, 300, loc(2, 5)},
                    new long[] {7, 7, 100, loc(0, 1)},
                    new long[] {7, 7, 200, loc(1, 3)},
                    new long[] {7, 7, 200, loc(1, 9)}, // B holds the content twice on one place
                    new long[] {9, 9, 400, loc(0, 2)}), moves);
            DedupReport r = planner.report(5L * BS, 1, 160);
            // Place 200 has two references: it is kept, and A's and C's blocks move onto it.
            assertThat(moves(moves)).extracting(m -> m[0] + "->" + m[1])
                    .containsExactlyInAnyOrder(loc(0, 1) + "->" + loc(1, 3), loc(2, 5) + "->" + loc(1, 3));
            assertThat(r.reclaimableBytes()).isEqualTo(2L * BS);
            assertThat(r.byVolume()).containsEntry("A", (long) BS).containsEntry("C", (long) BS);
            assertThat(r.byPair()).containsEntry("A <- B", (long) BS);
        }
    }

    @Test
    @DisplayName("blocks that already share one place need nothing")
    void alreadyShared() {
        DuplicatePlanner planner = new DuplicatePlanner(BS, sources);
        try (RecordBuckets moves = new RecordBuckets(work, "m", 1, 2, 1 << 20)) {
            planner.plan(records(new long[] {1, 2, 50, loc(0, 0)}, new long[] {1, 2, 50, loc(1, 0)}), moves);
            assertThat(moves(moves)).isEmpty();
            assertThat(planner.report(0, 1, 0).reclaimableBytes()).isZero();
        }
    }

    @Test
    @DisplayName("the heap sort orders strided records like a sort of rows")
    void stridedSort() {
        Random random = new Random(5);
        long[] a = new long[3 * 500];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextInt(20);
        }
        StridedSort.sort(a, 3, 2);
        for (int i = 1; i < 500; i++) {
            assertThat(StridedSort.compare(a, 3, 2, i - 1, i)).isLessThanOrEqualTo(0);
        }
    }

    @Test
    @DisplayName("the index is split into buckets that fit half the memory budget")
    void bucketBits() {
        assertThat(Deduplicator.bucketBits(100L << 20, 256L << 20)).isZero();
        // 1 TiB scanned: an 8 GiB index in 64 buckets of 128 MiB.
        assertThat(Deduplicator.bucketBits(8L << 30, 256L << 20)).isEqualTo(6);
        assertThat(Deduplicator.bucketBits(1L << 50, 256L << 20)).as("capped: one open file per bucket").isEqualTo(12);
        assertThat(Deduplicator.bucketBits(1L << 30, 256L << 20)).isEqualTo(3);
    }
}
