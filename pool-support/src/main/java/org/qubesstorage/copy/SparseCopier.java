package org.qubesstorage.copy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.qubesstorage.linux.DataMap;
import org.qubesstorage.linux.DataMap.Extent;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one copy engine behind import, clone and migration: copies only allocated, non-zero data
 * from a file or block device to a file or block device.
 *
 * <ul>
 *   <li>Holes are skipped by the source's data map ({@code SEEK_DATA}/{@code SEEK_HOLE}), never read.</li>
 *   <li>Inside data, 64 KiB granules of zeros are not written: the target already reads as zeros
 *       (a fresh sparse file, a fresh thin volume), so its gaps are never punched or discarded.</li>
 *   <li>Work is cut into aligned 4 MiB cells; eight platform threads each read a cell through
 *       descriptors of their own and write its non-zero runs with O_DIRECT, so several writes are
 *       in flight. Platform threads, because native calls pin a virtual thread's carrier anyway.</li>
 *   <li>Reads are O_DIRECT where the pieces are aligned (all of them, for block-aligned data
 *       maps); see {@link #DIRECT_READS} for why and how to turn it off.</li>
 *   <li>With verification, each cell's content is hashed (XXH3-128) in the same pass; the target's
 *       cells the copy wrote to are read back and hashed the same way, and a mismatch throws.
 *       In {@link CopyMode#FILESYSTEM_AWARE} mode the source digest is of the source with its free blocks read as zeros, which is exactly
 *       what the target must hold.</li>
 * </ul>
 */
public final class SparseCopier {
    private static final Logger LOG = LoggerFactory.getLogger(SparseCopier.class);
    /** Offsets, lengths and buffers of O_DIRECT I/O are multiples of this (covers 512 and 4096 sectors). */
    static final int DIRECT_ALIGNMENT = 4096;

    /** The prefix of the content digests this engine produces (see {@link #digestOf(java.nio.file.Path)}). */
    public static final String DIGEST_SCHEME = ContentDigest.SCHEME;

    /**
     * Whether aligned reads bypass the page cache ({@code -Dqubes.copy.direct-reads=false} turns it
     * off). Why on: a copy reads each byte once, so the page cache only costs (an extra copy of
     * every byte in the kernel, and evicting the cache other programs use). Measured in the
     * project's test VM, where the kernel's own work is emulated, a cold 512 MiB file read at
     * 80 MB/s buffered and over 3 GB/s with O_DIRECT (the README's copy benchmark on the host
     * predates this and used buffered reads). The cost: a source that is hot in the page cache is
     * read from the disk again.
     * Dirty cached pages are written back by the kernel before a direct read, so it never reads
     * stale data.
     */
    private static final boolean DIRECT_READS = Boolean.parseBoolean(System.getProperty("qubes.copy.direct-reads", "true"));

    /** Default cells in flight; overridable with {@code -Dqubes.copy.threads=N} for tuning runs. */
    static final int DEFAULT_THREADS = Integer.getInteger("qubes.copy.threads", 8);

    private final int threads;
    private final boolean directReads;

    public SparseCopier() {
        this(DEFAULT_THREADS);
    }

    /** @param threads cells processed at once (reads and writes in flight) */
    public SparseCopier(int threads) {
        this(threads, DIRECT_READS);
    }

    /**
     * @param threads     cells processed at once (reads and writes in flight)
     * @param directReads read aligned pieces with O_DIRECT (see {@link #DIRECT_READS})
     */
    SparseCopier(int threads, boolean directReads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        this.threads = threads;
        this.directReads = directReads;
    }

    public CopyResult copy(CopyRequest request) {
        long started = System.nanoTime();
        Endpoint source = Endpoint.of(request.source());
        try (NativeFile in = NativeFile.openRead(request.source())) {
            long size = source.size(in);
            List<Extent> extents = DataMap.of(in, size);
            CopyMode modeUsed = CopyMode.ALL_DATA;
            Optional<String> fallback = Optional.empty();
            if (request.mode() == CopyMode.FILESYSTEM_AWARE) {
                UsedBlocks.Answer used = UsedBlocks.of(in, request.source(), size);
                if (used.ranges().isPresent()) {
                    extents = Ranges.intersect(extents, used.ranges().get());
                    modeUsed = CopyMode.FILESYSTEM_AWARE;
                } else {
                    fallback = Optional.of(used.reason());
                    LOG.info("Copying all data of {}: {}", request.source(), used.reason());
                }
            }
            CopyTarget target = CopyTarget.open(request.target(), size, request.targetIsZero());
            try {
                target.zeroHoles(extents, size);
                Pass pass = new Pass(request.source(), target, Cells.split(extents), DataMap.total(extents), request, size);
                pass.run(threads, directReads);
                target.sync();
                Optional<String> sourceDigest = Optional.empty();
                Optional<String> targetDigest = Optional.empty();
                long copied = System.nanoTime();
                if (request.verify()) {
                    sourceDigest = Optional.of(pass.digest.finish(size));
                    targetDigest = Optional.of(readBack(request.target(), pass.writtenCells(), size, request.control()));
                    if (!sourceDigest.equals(targetDigest)) {
                        throw new StorageException(ErrorCode.BACKEND_FAILURE, "Verification failed: " + request.target()
                                + " does not hold the same data as " + request.source() + " (" + sourceDigest.get()
                                + " vs " + targetDigest.get() + ")");
                    }
                }
                long finished = System.nanoTime();
                return new CopyResult(size, pass.examined.get(), pass.written.get(), Duration.ofNanos(finished - started),
                        Duration.ofNanos(finished - copied), modeUsed, fallback, sourceDigest, targetDigest);
            } finally {
                target.close();
            }
        }
    }

    /**
     * The target's digest over the cells the copy wrote to, each read back whole from the device
     * (after the copy's {@code fdatasync}; O_DIRECT where allowed, so the device and not the page
     * cache answers), so zeros the copy skipped inside those cells are checked too. Cells the copy
     * did not write to are not read: a hole of the source, or source data that was all zeros.
     * The target reads zeros there because it was zero to begin with (a fresh sparse file or thin
     * volume: the {@code importData} contract, which the conformance kit checks) or because the
     * copy zeroed them itself. Reading them would cost a pass over the allocated zeros, which in a
     * preallocated image are most of its size.
     */
    private String readBack(java.nio.file.Path target, List<Cells.Cell> writtenCells, long size, CopyControl control) {
        List<Cells.Cell> whole = new ArrayList<>(writtenCells.size());
        for (Cells.Cell c : writtenCells) {
            whole.add(new Cells.Cell(c.index(), List.of(new Extent(c.start(), Math.min(c.start() + Cells.CELL, size)))));
        }
        return hashCells(target, whole, (long) whole.size() * Cells.CELL, size, control);
    }

    /**
     * The content digest of the first {@code size} bytes of a file or device, comparable with a
     * verified copy's digests (holes and zero blocks count as zeros, however they are stored).
     */
    public String digestOf(java.nio.file.Path path, long size, CopyControl control) {
        try (NativeFile in = NativeFile.openRead(path)) {
            List<Extent> extents = DataMap.of(in, size);
            return hashCells(path, Cells.split(extents), DataMap.total(extents), size, control);
        }
    }

    /** Reads {@code cells} of {@code path} with the copy's workers, writing nothing, and returns their digest. */
    private String hashCells(java.nio.file.Path path, List<Cells.Cell> cells, long total, long size, CopyControl control) {
        CopyRequest readOnly = new CopyRequest(path, path, true, true, CopyMode.ALL_DATA, CopyListener.NONE, control);
        Pass pass = new Pass(path, null, cells, total, readOnly, size);
        pass.run(threads, directReads);
        return pass.digest.finish(size);
    }

    /** A content digest of a whole file or device. */
    public String digestOf(java.nio.file.Path path) {
        Endpoint e = Endpoint.of(path);
        try (NativeFile in = NativeFile.openRead(path)) {
            return digestOf(path, e.size(in), new CopyControl());
        }
    }

    /** One pass over the cells by several workers: read, detect zeros, write, hash. */
    private static final class Pass {
        final java.nio.file.Path source;
        final CopyTarget target;
        final List<Cells.Cell> cells;
        final long total;
        final CopyRequest request;
        final long logicalSize;
        final AtomicInteger next = new AtomicInteger();
        final AtomicLong examined = new AtomicLong();
        final AtomicLong written = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final ContentDigest digest = new ContentDigest();
        /** Per cell (by position in {@link #cells}): whether the copy wrote to the target there. Each slot has one writer. */
        final boolean[] wrote;

        Pass(java.nio.file.Path source, CopyTarget target, List<Cells.Cell> cells, long total, CopyRequest request, long logicalSize) {
            this.logicalSize = logicalSize;
            this.source = source;
            this.target = target;
            this.cells = cells;
            this.total = total;
            this.request = request;
            this.wrote = new boolean[cells.size()];
        }

        /** The cells the copy wrote data (or, on a target not known to be zero, zeros) to; valid after {@link #run}. */
        List<Cells.Cell> writtenCells() {
            List<Cells.Cell> written = new ArrayList<>();
            for (int i = 0; i < wrote.length; i++) {
                if (wrote[i]) {
                    written.add(cells.get(i));
                }
            }
            return written;
        }

        void run(int threads, boolean directReads) {
            int n = Math.max(1, Math.min(threads, cells.size()));
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                workers.add(Thread.ofPlatform().name("sparse-copy-" + i).daemon().start(() -> work(directReads)));
            }
            boolean interrupted = false;
            for (Thread t : workers) {
                while (true) {
                    try {
                        t.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                        request.control().cancel();
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }

        private void work(boolean directReads) {
            // Each worker reads through descriptors of its own: the kernel keeps readahead state
            // per open file, and workers sharing one would make each other's reads look random.
            try (Arena arena = Arena.ofConfined();
                    NativeFile buffered = NativeFile.openRead(source);
                    NativeFile direct = directReads ? NativeFile.openReadDirect(source) : null) {
                buffered.adviseSequential();
                CellReader reader = new CellReader(buffered, direct != null && direct.isDirect() ? direct : null, logicalSize);
                MemorySegment buffer = arena.allocate(Cells.CELL, DIRECT_ALIGNMENT);
                int i;
                while (failure.get() == null && (i = next.getAndIncrement()) < cells.size()) {
                    request.control().checkCancelled();
                    wrote[i] = process(cells.get(i), buffer, reader);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }

        /** Copies (or only hashes) one cell; returns whether anything was written to the target. */
        private boolean process(Cells.Cell cell, MemorySegment buffer, CellReader source) {
            long cellStart = cell.start();
            boolean hashing = request.verify();
            // The digest covers the whole cell (up to the end of the volume), gaps as zeros, so it
            // does not depend on where either side happens to store zeros.
            long cellEnd = Math.min(cellStart + Cells.CELL, logicalSize);
            if (hashing) {
                zeroGaps(cell, buffer, cellEnd);
            }
            long cellExamined = 0;
            boolean nonZero = false;
            for (Extent piece : cell.data()) {
                long got = source.read(buffer.asSlice(piece.start() - cellStart), piece);
                if (got < piece.length()) {
                    throw new StorageException(ErrorCode.BACKEND_FAILURE, "Source " + request.source()
                            + " shrank while being copied (short read at " + (piece.start() + got) + ")");
                }
                if (target != null) {
                    nonZero |= writeNonZeroRuns(piece, buffer, cellStart);
                }
                cellExamined += piece.length();
            }
            if (hashing) {
                if (target == null) {
                    digest.addCell(cell.index(), buffer, cellEnd - cellStart);
                } else if (nonZero) {
                    // the zero scan just found data: no need to scan the cell again
                    digest.addNonZeroCell(cell.index(), buffer, cellEnd - cellStart);
                }
            }
            long done = examined.addAndGet(cellExamined);
            request.listener().progress(done, total);
            return nonZero || (target != null && target.zeroGaps && !cell.data().isEmpty());
        }

        /** Zeroes the parts of the cell's buffer that no data piece will be read into. */
        private static void zeroGaps(Cells.Cell cell, MemorySegment buffer, long cellEnd) {
            long cellStart = cell.start();
            long pos = cellStart;
            for (Extent piece : cell.data()) {
                if (piece.start() > pos) {
                    buffer.asSlice(pos - cellStart, piece.start() - pos).fill((byte) 0);
                }
                pos = piece.end();
            }
            if (cellEnd > pos) {
                buffer.asSlice(pos - cellStart, cellEnd - pos).fill((byte) 0);
            }
        }

        /**
         * Writes the non-zero granules of {@code piece}, coalesced into runs; zeroes the rest if
         * needed. Returns whether any granule held data.
         */
        private boolean writeNonZeroRuns(Extent piece, MemorySegment buffer, long cellStart) {
            boolean any = false;
            long runStart = -1;
            long pos = piece.start();
            while (pos < piece.end()) {
                long granuleEnd = Math.min(piece.end(), (pos / Cells.GRANULE + 1) * Cells.GRANULE);
                boolean zero = Zeros.isZero(buffer, pos - cellStart, granuleEnd - pos);
                any |= !zero;
                if (!zero && runStart < 0) {
                    runStart = pos;
                } else if (zero && runStart >= 0) {
                    flush(buffer, cellStart, runStart, pos);
                    runStart = -1;
                }
                if (zero) {
                    target.zeroGap(pos, granuleEnd - pos);
                }
                pos = granuleEnd;
            }
            if (runStart >= 0) {
                flush(buffer, cellStart, runStart, piece.end());
            }
            return any;
        }

        private void flush(MemorySegment buffer, long cellStart, long start, long end) {
            target.write(buffer.asSlice(start - cellStart), start, end - start);
            written.addAndGet(end - start);
        }
    }
}
