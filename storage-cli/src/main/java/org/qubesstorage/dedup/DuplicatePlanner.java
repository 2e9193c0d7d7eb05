package org.qubesstorage.dedup;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the index, one bucket at a time, into moves: for each content held at two or more places in
 * storage, the place most blocks already reference is kept and every block stored elsewhere becomes
 * a move {@code [target location, source location]} onto a block of the kept place. Blocks that
 * already share one place need nothing. Moves go to buckets by target window, so that the applier
 * sees each target's moves together and in order.
 */
final class DuplicatePlanner {
    static final int MOVE_WIDTH = 2;
    /** Targets are bucketed by windows of 2^20 blocks (4 GiB of 4 KiB blocks). */
    static final int WINDOW_BITS = 20;

    private final int blockSize;
    private final List<DedupSource> sources;
    private final Map<String, Long> byVolume = new TreeMap<>();
    private final Map<String, Long> byPair = new TreeMap<>();
    private long duplicateBytes;
    private long reclaimableBytes;

    DuplicatePlanner(int blockSize, List<DedupSource> sources) {
        this.blockSize = blockSize;
        this.sources = sources;
    }

    static int moveBucket(long target, int buckets) {
        long window = (target >>> 32) * 0x9E3779B97F4A7C15L + ((target & 0xFFFFFFFFL) >>> WINDOW_BITS);
        return (int) Long.remainderUnsigned(window * 0xC2B2AE3D27D4EB4FL, buckets);
    }

    /** Plans one bucket of index records into {@code moves}. */
    void plan(long[] unsorted, RecordBuckets moves) {
        int w = BlockScanner.WIDTH;
        long[] records = byContent(unsorted);
        int n = records.length / w;
        int start = 0;
        while (start < n) {
            int end = start + 1;
            while (end < n && records[end * w] == records[start * w] && records[end * w + 1] == records[start * w + 1]) {
                end++;
            }
            if (end - start > 1) {
                group(records, start, end, moves);
            }
            start = end;
        }
    }

    /**
     * The records sorted by hash, then physical block. The JDK's sort of plain longs does the bulk:
     * each key is the hash's high bits with the record's index in the low bits; records whose keys
     * tie on the high bits (duplicates, and rare near-collisions) are then ordered fully.
     */
    static long[] byContent(long[] records) {
        int w = BlockScanner.WIDTH;
        int n = records.length / w;
        int indexBits = Math.max(1, 32 - Integer.numberOfLeadingZeros(n));
        long mask = (1L << indexBits) - 1;
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = records[i * w] & ~mask | i;
        }
        Arrays.sort(keys);
        long[] sorted = new long[records.length];
        for (int k = 0; k < n; k++) {
            System.arraycopy(records, (int) (keys[k] & mask) * w, sorted, k * w, w);
        }
        for (int start = 0; start < n; ) {
            int end = start + 1;
            while (end < n && (keys[end] & ~mask) == (keys[start] & ~mask)) {
                end++;
            }
            if (end - start > 1) {
                StridedSort.sort(sorted, w, 3, start, end);
            }
            start = end;
        }
        return sorted;
    }

    /** One content, records {@code [start, end)} sorted by physical block. */
    private void group(long[] r, int start, int end, RecordBuckets moves) {
        int w = BlockScanner.WIDTH;
        // The kept place: the physical block with the most references (already the most shared); on
        // a tie the first source's, so that runs of blocks keep one source and join into long ranges.
        int keep = start;
        int best = 0;
        long bestLocation = Long.MAX_VALUE;
        int distinct = 0;
        for (int i = start; i < end; ) {
            int j = i;
            long firstLocation = Long.MAX_VALUE;
            while (j < end && r[j * w + 2] == r[i * w + 2]) {
                firstLocation = Math.min(firstLocation, r[j * w + 3]);
                j++;
            }
            distinct++;
            if (j - i > best || (j - i == best && firstLocation < bestLocation)) {
                best = j - i;
                bestLocation = firstLocation;
                keep = i;
            }
            i = j;
        }
        if (distinct < 2) {
            return;
        }
        long keptPhysical = r[keep * w + 2];
        long keptLocation = bestLocation;
        String keptVolume = volumeOf(keptLocation);
        long previousPhysical = Long.MIN_VALUE;
        for (int i = start; i < end; i++) {
            long physical = r[i * w + 2];
            if (physical == keptPhysical) {
                continue;
            }
            long target = r[i * w + 3];
            moves.add(moveBucket(target, moves.buckets()), target, keptLocation);
            duplicateBytes += blockSize;
            if (physical != previousPhysical) {
                // Storage freed once per place, booked to the first volume referencing it.
                String volume = volumeOf(target);
                reclaimableBytes += blockSize;
                byVolume.merge(volume, (long) blockSize, Long::sum);
                byPair.merge(volume + " <- " + keptVolume, (long) blockSize, Long::sum);
                previousPhysical = physical;
            }
        }
    }

    private String volumeOf(long location) {
        return sources.get((int) (location >>> 32)).volume();
    }

    DedupReport report(long scannedBytes, int buckets, long indexBytes) {
        return new DedupReport(blockSize, scannedBytes, duplicateBytes, reclaimableBytes, byVolume, byPair, 0, 0, 0, 0, buckets,
                indexBytes);
    }
}
