package org.qubesstorage.dedup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Offline deduplication of a set of files: scan, plan, and (unless a dry run) apply.
 *
 * <p>Memory stays bounded: the index costs {@value #RECORD_BYTES} bytes per indexed block (8 GiB
 * per TiB of 4 KiB blocks) and lives on disk in the work directory, split into as many buckets as
 * it takes for one to fit in {@link Settings#memoryBytes()}; the plan's moves likewise. A stop
 * request (Ctrl-C runs the shutdown hook) ends the run between two kernel calls, and the work files
 * are removed either way.
 */
public final class Deduplicator {
    static final int RECORD_BYTES = BlockScanner.WIDTH * Long.BYTES;
    /** Each bucket is an open file while the index is written; 4,096 stays within common fd limits. */
    private static final int MAX_BUCKET_BITS = 12;

    /**
     * @param blockSize   the block compared and shared (the file system's block, normally 4 KiB)
     * @param memoryBytes at most this much of the index in memory at a time
     * @param workDir     where the index is spilled (not a tmpfs, which would be memory again)
     */
    public record Settings(int blockSize, long memoryBytes, Path workDir) {
        public Settings {
            if (blockSize < 512 || Integer.bitCount(blockSize) != 1) {
                throw new IllegalArgumentException("block size must be a power of two of at least 512: " + blockSize);
            }
            if (memoryBytes < 1 << 20) {
                throw new IllegalArgumentException("memory budget below 1 MiB: " + memoryBytes);
            }
        }
    }

    private final Settings settings;
    private final DedupObserver observer;

    public Deduplicator(Settings settings, DedupObserver observer) {
        this.settings = settings;
        this.observer = observer;
    }

    /** The bucket count (as bits) that keeps one bucket of {@code indexBytes} within the budget. */
    static int bucketBits(long indexBytes, long memoryBytes) {
        int bits = 0;
        // A bucket is held twice while loading (file bytes and records), hence half the budget.
        while (bits < MAX_BUCKET_BITS && indexBytes >> bits > memoryBytes / 2) {
            bits++;
        }
        return bits;
    }

    /** Scans and plans; with {@code apply}, also shares the duplicates. */
    public DedupReport run(List<DedupSource> sources, boolean apply) {
        int bs = settings.blockSize();
        BlockScanner scanner = new BlockScanner(bs, observer);
        List<List<BlockScanner.Range>> ranges = new ArrayList<>();
        long total = 0;
        for (DedupSource s : sources) {
            List<BlockScanner.Range> r = scanner.ranges(s);
            ranges.add(r);
            total += r.stream().mapToLong(BlockScanner.Range::length).sum();
        }
        long indexBytes = total / bs * RECORD_BYTES;
        int bits = bucketBits(indexBytes, settings.memoryBytes());
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                finished.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "dedup-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try (RecordBuckets index = new RecordBuckets(settings.workDir(), "dedup-index", 1 << bits, BlockScanner.WIDTH,
                settings.memoryBytes());
             RecordBuckets moves = new RecordBuckets(settings.workDir(), "dedup-moves", 1 << bits,
                     DuplicatePlanner.MOVE_WIDTH, settings.memoryBytes())) {
            observer.scanStarted(total);
            scanner.scanAll(sources, ranges, index, bits, stop::get);
            index.finishWriting();
            DuplicatePlanner planner = new DuplicatePlanner(bs, sources);
            for (int b = 0; b < index.buckets() && !stop.get(); b++) {
                planner.plan(index.load(b), moves);
            }
            moves.finishWriting();
            DedupReport plan = planner.report(total, index.buckets(), indexBytes);
            observer.planned(plan);
            if (!apply || stop.get()) {
                return plan;
            }
            observer.applyStarted(plan.duplicateBytes());
            try (RangeDeduper deduper = new RangeDeduper(bs, sources, ranges, observer, stop::get)) {
                for (int b = 0; b < moves.buckets(); b++) {
                    if (!deduper.apply(moves.load(b))) {
                        break;
                    }
                }
                return plan.withApplied(deduper.shared(), deduper.changed(), deduper.unsupported(), deduper.relocated());
            }
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is running and has just been released
            }
        }
    }
}
