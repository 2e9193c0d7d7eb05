package org.qubesstorage.copy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Fast all-zero checks of native memory (vectorised {@link MemorySegment#mismatch}). */
final class Zeros {
    private static final MemorySegment ZERO = Arena.global().allocate(Cells.CELL, 4096);

    private Zeros() {}

    static boolean isZero(MemorySegment buffer, long offset, long length) {
        long done = 0;
        while (done < length) {
            long n = Math.min(length - done, ZERO.byteSize());
            if (MemorySegment.mismatch(buffer, offset + done, offset + done + n, ZERO, 0, n) != -1) {
                return false;
            }
            done += n;
        }
        return true;
    }
}
