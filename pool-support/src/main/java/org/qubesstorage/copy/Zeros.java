package org.qubesstorage.copy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * Fast all-zero checks of native memory: libc's {@code memcmp} against a zero cell where
 * {@link NativeKernels} are present, else the vectorised {@link MemorySegment#mismatch}.
 */
final class Zeros {
    private static final MemorySegment ZERO = Arena.global().allocate(Cells.CELL, 4096);
    private static final Optional<NativeKernels> KERNELS = NativeKernels.get();

    private Zeros() {}

    static boolean isZero(MemorySegment buffer, long offset, long length) {
        return isZero(buffer, offset, length, KERNELS);
    }

    /** With {@code kernels} empty the test runs in Java (tests compare both). */
    static boolean isZero(MemorySegment buffer, long offset, long length, Optional<NativeKernels> kernels) {
        long done = 0;
        while (done < length) {
            long n = Math.min(length - done, ZERO.byteSize());
            boolean zero = kernels.isPresent() && buffer.isNative()
                    ? kernels.get().equal(buffer, offset + done, ZERO, n)
                    : MemorySegment.mismatch(buffer, offset + done, offset + done + n, ZERO, 0, n) == -1;
            if (!zero) {
                return false;
            }
            done += n;
        }
        return true;
    }
}
