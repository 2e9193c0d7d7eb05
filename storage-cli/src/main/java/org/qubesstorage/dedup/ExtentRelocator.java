package org.qubesstorage.dedup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qubesstorage.linux.Dedupe;
import org.qubesstorage.linux.NativeFile;

/**
 * btrfs frees an extent only when no block of it is referenced any more, so sharing most of an
 * extent's blocks frees nothing while its other blocks still point into it. Those remaining blocks
 * are copied into a new extent (a scratch file beside the target) and the target is made to share
 * the copy through {@code FIDEDUPERANGE}: the kernel compares them first, so a block written in the
 * meantime stays as it is. Only done where the shared part outweighs the copy.
 */
final class ExtentRelocator {
    private static final int CHUNK = 1 << 20;

    private final int blockSize;
    private final List<Copied> copies = new ArrayList<>();
    private long copiedBytes;

    /** Blocks already given a new extent: their old physical start, count, and where the copy now is. */
    private record Copied(long physical, long blocks, NativeFile file, long block) {}

    ExtentRelocator(int blockSize) {
        this.blockSize = blockSize;
    }

    /** Whether {@code file}'s file system frees extents only as a whole. */
    static boolean needed(Path file) {
        try {
            return Files.getFileStore(file).type().equals("btrfs");
        } catch (IOException e) {
            return false;
        }
    }

    long copiedBytes() {
        return copiedBytes;
    }

    /**
     * For each extent of {@code target} (as scanned) that the moves in {@code shared} (sorted
     * {@code [first block, blocks]} runs) covered in part, moves the rest of it to a new extent when
     * the shared part is at least as large as the rest.
     */
    void relocate(NativeFile target, List<BlockScanner.Range> extents, List<long[]> shared) {
        // Copies are remembered by old physical place, so a second file on the same old extent (an
        // image and its precached reflink) shares the first one's copy instead of making its own.
        for (BlockScanner.Range e : extents) {
            if (!e.located()) {
                continue;
            }
            long first = e.logical() / blockSize;
            long end = first + e.length() / blockSize;
            long covered = 0;
            for (long[] run : shared) {
                covered += Math.max(0, Math.min(end, run[0] + run[1]) - Math.max(first, run[0]));
            }
            long rest = end - first - covered;
            if (covered == 0 || rest == 0 || covered < rest) {
                continue;
            }
            long at = first;
            for (long[] run : shared) {
                if (run[0] + run[1] <= first || run[0] >= end) {
                    continue;
                }
                copy(target, e, at, Math.max(first, run[0]));
                at = Math.min(end, run[0] + run[1]);
            }
            copy(target, e, at, end);
        }
    }

    /** Gives blocks {@code [from, to)} of {@code target}, in extent {@code e}, a new extent of their own. */
    private void copy(NativeFile target, BlockScanner.Range e, long from, long to) {
        if (to <= from) {
            return;
        }
        long physical = e.physical() / blockSize + (from - e.logical() / blockSize);
        long blocks = to - from;
        for (Copied c : copies) {
            if (c.physical() <= physical && physical + blocks <= c.physical() + c.blocks()) {
                share(c.file(), (c.block() + physical - c.physical()) * blockSize, target, from * blockSize, blocks * blockSize);
                return;
            }
        }
        Path scratch = target.path().resolveSibling(".qubes-dedup-" + ProcessHandle.current().pid() + ".tmp");
        try (Arena arena = Arena.ofConfined(); NativeFile copy = NativeFile.create(scratch, 0600)) {
            MemorySegment buffer = arena.allocate(CHUNK, 4096);
            long bytes = blocks * blockSize;
            long offset = from * blockSize;
            for (long done = 0; done < bytes; done += CHUNK) {
                long n = Math.min(CHUNK, bytes - done);
                long got = target.readFully(buffer, n, offset + done);
                copy.writeFully(buffer, got, done);
            }
            if (share(copy, 0, target, offset, bytes)) {
                copies.add(new Copied(physical, blocks, target, from));
            }
            copiedBytes += bytes;
        } finally {
            try {
                Files.deleteIfExists(scratch);
            } catch (IOException ex) {
                throw new UncheckedIOException("Cannot remove " + scratch + ": " + ex.getMessage(), ex);
            }
        }
    }

    /** Makes {@code bytes} of {@code target} share {@code from}'s; false if any part was not equal. */
    private static boolean share(NativeFile from, long fromOffset, NativeFile target, long offset, long bytes) {
        for (long done = 0; done < bytes; ) {
            Dedupe.Result r = Dedupe.range(from, fromOffset + done, bytes - done, target, offset + done);
            if (r.outcome() != Dedupe.Outcome.SHARED || r.bytes() <= 0) {
                return false; // written meanwhile, or refused: the blocks stay where they are
            }
            done += r.bytes();
        }
        return true;
    }
}
