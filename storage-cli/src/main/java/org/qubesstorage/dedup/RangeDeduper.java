package org.qubesstorage.dedup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.qubesstorage.linux.Dedupe;
import org.qubesstorage.linux.NativeFile;

/**
 * Applies the moves of one bucket: sorted by target, runs of consecutive targets that map onto
 * consecutive source blocks are joined into one range, and each range goes to {@code
 * FIDEDUPERANGE}. The kernel compares before it shares, so a range written since the scan is only
 * counted as changed; stopping between two calls leaves every file valid.
 */
final class RangeDeduper implements AutoCloseable {
    /** btrfs deduplicates at most 16 MiB per call; asking for more only makes it return early. */
    private static final long MAX_CALL = 16L << 20;

    private final int blockSize;
    private final List<DedupSource> sources;
    private final DedupObserver observer;
    private final BooleanSupplier stop;
    private final List<List<BlockScanner.Range>> extents;
    private final ExtentRelocator relocator;
    private final Map<Integer, NativeFile> open = new HashMap<>();
    private final Map<Integer, Boolean> relocating = new HashMap<>();
    private long shared;
    private long changed;
    private long unsupported;

    /** {@code extents}: each source's data ranges as scanned, for {@link ExtentRelocator}. */
    RangeDeduper(int blockSize, List<DedupSource> sources, List<List<BlockScanner.Range>> extents, DedupObserver observer,
                 BooleanSupplier stop) {
        this.blockSize = blockSize;
        this.sources = sources;
        this.extents = extents;
        this.relocator = new ExtentRelocator(blockSize);
        this.observer = observer;
        this.stop = stop;
    }

    long shared() {
        return shared;
    }

    long changed() {
        return changed;
    }

    long unsupported() {
        return unsupported;
    }

    long relocated() {
        return relocator.copiedBytes();
    }

    /** Applies one bucket's moves; returns false once asked to stop. */
    boolean apply(long[] moves) {
        int w = DuplicatePlanner.MOVE_WIDTH;
        StridedSort.sort(moves, w, 1);
        int n = moves.length / w;
        int i = 0;
        List<long[]> runs = new ArrayList<>();
        while (i < n) {
            if (stop.getAsBoolean()) {
                return false;
            }
            long target = moves[i * w];
            long source = moves[i * w + 1];
            int run = 1;
            while (i + run < n && moves[(i + run) * w] == target + run && moves[(i + run) * w + 1] == source + run
                    && (long) run * blockSize < MAX_CALL) {
                run++;
            }
            range(source, target, run);
            runs.add(new long[] {target & 0xFFFFFFFFL, run});
            i += run;
            // One target window (see DuplicatePlanner) ends here: its partly shared extents may move.
            if (i == n || moves[i * w] >>> DuplicatePlanner.WINDOW_BITS != target >>> DuplicatePlanner.WINDOW_BITS) {
                relocateRest((int) (target >>> 32), target >>> DuplicatePlanner.WINDOW_BITS, runs);
                runs.clear();
            }
        }
        return true;
    }

    /** After a window's moves: the rest of its partly shared extents, on file systems that need it. */
    private void relocateRest(int index, long window, List<long[]> runs) {
        boolean needed = relocating.computeIfAbsent(index, i -> ExtentRelocator.needed(sources.get(i).path()));
        if (!needed) {
            return;
        }
        long windowBlocks = 1L << DuplicatePlanner.WINDOW_BITS;
        long firstBlock = (window & 0xFFFL) * windowBlocks;
        List<BlockScanner.Range> inWindow = extents.get(index).stream()
                .filter(e -> e.logical() / blockSize >= firstBlock
                        && (e.logical() + e.length()) / blockSize <= firstBlock + windowBlocks)
                .toList();
        relocator.relocate(file(index), inWindow, runs);
    }

    private void range(long source, long target, int blocks) {
        NativeFile from = file((int) (source >>> 32));
        NativeFile to = file((int) (target >>> 32));
        long length = (long) blocks * blockSize;
        offer(from, (source & 0xFFFFFFFFL) * blockSize, to, (target & 0xFFFFFFFFL) * blockSize, length);
        observer.applied(length);
    }

    /**
     * Offers one range to the kernel. A range that differs is halved until the blocks written since
     * the scan are found, so one changed block does not keep a whole run from being shared.
     */
    private void offer(NativeFile from, long fromOffset, NativeFile to, long toOffset, long length) {
        long done = 0;
        while (done < length) {
            Dedupe.Result r = Dedupe.range(from, fromOffset + done, length - done, to, toOffset + done);
            long rest = length - done;
            switch (r.outcome()) {
                case SHARED -> {
                    if (r.bytes() <= 0) {
                        changed += rest; // the kernel moved nothing: leave the rest as it is
                        return;
                    }
                    shared += r.bytes();
                    done += r.bytes();
                }
                case DIFFERS -> {
                    if (rest <= blockSize) {
                        changed += rest;
                    } else {
                        long half = rest / blockSize / 2 * blockSize;
                        offer(from, fromOffset + done, to, toOffset + done, half);
                        offer(from, fromOffset + done + half, to, toOffset + done + half, rest - half);
                    }
                    return;
                }
                case UNSUPPORTED -> {
                    unsupported += rest;
                    return;
                }
            }
        }
    }

    private NativeFile file(int index) {
        return open.computeIfAbsent(index, i -> NativeFile.openRead(sources.get(i).path()));
    }

    @Override
    public void close() {
        open.values().forEach(NativeFile::close);
        open.clear();
    }
}
