package org.qubesstorage.dedup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.qubesstorage.copy.BlockHasher;
import org.qubesstorage.linux.DataMap;
import org.qubesstorage.linux.Fiemap;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.spi.StoredData;
import org.qubesstorage.support.ImageCopy;

/**
 * Reads every data block of the sources once and writes one index record per block that is not all
 * zeros: its content hash (XXH3-128), where its storage lies (from the driver's extents or FIEMAP,
 * so blocks that already share storage are known as such) and where it is (source, block). Holes
 * and unmapped ranges are never read.
 *
 * <p>Records are {@code [hash high, hash low, physical block, source << 32 | block]}; the bucket is
 * the hash's top bits, so equal blocks meet in one bucket. Observers are called from the scanning
 * threads.
 */
final class BlockScanner {
    static final int WIDTH = 4;
    private static final long TASK = 4L << 20;
    /** Pieces in flight: read ahead of the hashers, and one per hasher being hashed. */
    private static final int BUFFERS = 6;
    private static final int BATCH = 4096;

    private final int blockSize;
    private final DedupObserver observer;

    BlockScanner(int blockSize, DedupObserver observer) {
        this.blockSize = blockSize;
        this.observer = observer;
    }

    /** A data range of one source and, where known, the physical offset its start lies at. */
    record Range(long logical, long length, long physical, boolean located) {}

    /** The data ranges of {@code source}, whole blocks only (a partial tail block cannot be shared). */
    List<Range> ranges(DedupSource source) {
        List<Range> out = new ArrayList<>();
        if (source.extents().isPresent()) {
            List<StoredData.Extent> extents = source.extents().get();
            checkBlocks(source, extents.isEmpty() ? 0 : extents.getLast().offset() + extents.getLast().length());
            for (StoredData.Extent e : extents) {
                boolean located = e.storage() != StoredData.Extent.OWN;
                add(out, e.offset(), e.offset() + e.length(), located ? e.storage() : 0, located);
            }
            return out;
        }
        try (NativeFile f = NativeFile.openRead(source.path())) {
            Optional<List<Fiemap.Extent>> map = Fiemap.of(f);
            long size = ImageCopy.size(source.path());
            checkBlocks(source, size);
            if (map.isPresent()) {
                for (Fiemap.Extent e : map.get()) {
                    add(out, e.logical(), Math.min(e.logical() + e.length(), size), e.physical(), e.located());
                }
            } else {
                for (DataMap.Extent e : DataMap.of(f, size)) {
                    add(out, e.start(), e.end(), 0, false);
                }
            }
        }
        return out;
    }

    /** Locations keep a block number in 32 bits. */
    private void checkBlocks(DedupSource source, long size) {
        if (size / blockSize >= 1L << 32) {
            throw new IllegalArgumentException(source.path() + " has more than 2^32 blocks of " + blockSize + " bytes");
        }
    }

    private void add(List<Range> out, long start, long end, long physical, boolean located) {
        long first = Math.ceilDiv(start, blockSize) * blockSize;
        long last = Math.floorDiv(end, blockSize) * blockSize;
        if (last > first) {
            out.add(new Range(first, last - first, physical + (first - start), located));
        }
    }

    /** One piece of work: up to {@link #TASK} bytes of one source's data. */
    private record Task(int source, Range range, long offset, long length) {}

    /** A piece read into {@code buffer} ({@code bytes} of it), ready to hash; a null task ends a hasher. */
    private record Filled(Task task, MemorySegment buffer, long bytes) {}

    /**
     * Indexes every source's {@code ranges} into {@code buckets}. The calling thread reads the
     * pieces in order, each source front to back (the disk sees one sequential stream: concurrent
     * readers at nearby offsets made cold scans slower), while one hashing thread per core works on
     * the pieces already read.
     */
    void scanAll(List<DedupSource> sources, List<List<Range>> ranges, RecordBuckets buckets, int bucketBits,
                 BooleanSupplier stop) {
        int hashers = Math.max(1, Runtime.getRuntime().availableProcessors());
        BlockingQueue<Filled> work = new ArrayBlockingQueue<>(BUFFERS);
        BlockingQueue<MemorySegment> free = new ArrayBlockingQueue<>(BUFFERS);
        try (Arena arena = Arena.ofShared();
             ExecutorService pool = Executors.newFixedThreadPool(hashers, Thread.ofPlatform().name("dedup-hash-", 0).factory())) {
            for (int i = 0; i < BUFFERS; i++) {
                free.add(arena.allocate(TASK, 4096));
            }
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < hashers; t++) {
                workers.add(pool.submit(() -> hash(work, free, buckets, bucketBits)));
            }
            try {
                read(sources, ranges, work, free, stop, workers);
            } finally {
                for (int t = 0; t < hashers; t++) {
                    put(work, new Filled(null, null, 0));
                }
            }
            for (Future<?> f : workers) {
                await(f);
            }
        }
    }

    private void read(List<DedupSource> sources, List<List<Range>> ranges, BlockingQueue<Filled> work,
                      BlockingQueue<MemorySegment> free, BooleanSupplier stop, List<Future<?>> workers) {
        for (int s = 0; s < sources.size() && !stop.getAsBoolean(); s++) {
            // Buffered, not O_DIRECT: FIDEDUPERANGE compares through the page cache and reads a
            // cold range page by page, so the scan's cached pages are what makes applying fast.
            try (NativeFile f = NativeFile.openRead(sources.get(s).path())) {
                for (Range r : ranges.get(s)) {
                    for (long at = 0; at < r.length() && !stop.getAsBoolean(); at += TASK) {
                        Task task = new Task(s, r, at, Math.min(TASK, r.length() - at));
                        MemorySegment buffer = take(free, workers);
                        long got = f.readFully(buffer, task.length(), r.logical() + at);
                        put(work, new Filled(task, buffer, got));
                        if (got < task.length()) {
                            break; // the file shrank since it was mapped
                        }
                    }
                }
            }
        }
    }

    private void hash(BlockingQueue<Filled> work, BlockingQueue<MemorySegment> free, RecordBuckets buckets, int bucketBits) {
        int perRecord = WIDTH + 1;
        long[] batch = new long[BATCH * perRecord];
        int count = 0;
        try (Arena arena = Arena.ofConfined(); BlockHasher hasher = new BlockHasher()) {
            MemorySegment zero = arena.allocate(blockSize);
            while (true) {
                Filled filled = take(work, List.of());
                if (filled.task() == null) {
                    break;
                }
                Task task = filled.task();
                Range r = task.range();
                int blocks = (int) (filled.bytes() / blockSize);
                for (int b = 0; b < blocks; b++) {
                    MemorySegment block = filled.buffer().asSlice((long) b * blockSize, blockSize);
                    if (block.mismatch(zero) == -1) {
                        continue;
                    }
                    int at = count * perRecord;
                    hasher.hash(block, blockSize, batch, at + 1);
                    long blockNo = (r.logical() + task.offset()) / blockSize + b;
                    long location = (long) task.source() << 32 | blockNo;
                    batch[at] = bucketBits == 0 ? 0 : batch[at + 1] >>> (64 - bucketBits);
                    // A block whose storage is unknown gets an identity no other block has.
                    batch[at + 3] = r.located() ? (r.physical() + task.offset()) / blockSize + b : -1 - location;
                    batch[at + 4] = location;
                    if (++count == BATCH) {
                        buckets.addAll(batch, count);
                        count = 0;
                    }
                }
                put(free, filled.buffer());
                observer.scanned(filled.bytes());
            }
            buckets.addAll(batch, count);
        }
    }

    /** Takes from {@code queue}, giving up if a hasher failed (its exception is rethrown). */
    private static <T> T take(BlockingQueue<T> queue, List<Future<?>> workers) {
        try {
            while (true) {
                T item = queue.poll(100, TimeUnit.MILLISECONDS);
                if (item != null) {
                    return item;
                }
                for (Future<?> f : workers) {
                    if (f.isDone()) {
                        await(f);
                        throw new IllegalStateException("a hashing thread ended early");
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static <T> void put(BlockingQueue<T> queue, T item) {
        try {
            queue.put(item);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void await(Future<?> f) {
        try {
            f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
