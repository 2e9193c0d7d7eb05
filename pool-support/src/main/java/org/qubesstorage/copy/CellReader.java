package org.qubesstorage.copy;

import java.lang.foreign.MemorySegment;
import org.qubesstorage.linux.DataMap.Extent;
import org.qubesstorage.linux.NativeFile;

/**
 * One worker's read side: O_DIRECT for pieces that start aligned and are a whole number of
 * blocks long or end at the end of the data (a direct read past the end returns what there
 * is), buffered for any other piece.
 */
record CellReader(NativeFile buffered, NativeFile direct, long logicalSize) {
    private static final int ALIGNMENT = SparseCopier.DIRECT_ALIGNMENT;

    /** Reads {@code piece} into {@code into} (which has room up to the piece's cell end); returns the bytes of the piece read. */
    long read(MemorySegment into, Extent piece) {
        boolean aligned = piece.start() % ALIGNMENT == 0 && (piece.length() % ALIGNMENT == 0 || piece.end() >= logicalSize);
        if (direct == null || !aligned) {
            return buffered.readFully(into, piece.length(), piece.start());
        }
        long blocks = (piece.length() + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        // past logicalSize only a device larger than the volume has more to give; those bytes
        // lie beyond the cell's content and are neither written nor hashed
        return Math.min(direct.readFully(into, blocks, piece.start()), piece.length());
    }
}
