package org.qubesstorage.copy;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import com.dynatrace.hash4j.hashing.ByteAccess;
import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hashing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * XXH3-128 of many small blocks (deduplication indexes every 4 KiB block): libxxhash where it is
 * present, hash4j otherwise, with the same values either way. One instance per thread; it reuses
 * one result buffer, so hashing a block allocates nothing.
 */
public final class BlockHasher implements AutoCloseable {
    private static final ByteAccess<MemorySegment> SEGMENT_BYTES = ByteAccess.forMemorySegment(MemorySegment.class);

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment result = arena.allocate(16, 8);
    private final SegmentAllocator reuse = SegmentAllocator.prefixAllocator(result);
    private final NativeKernels kernels = NativeKernels.get().orElse(null);

    /** Hashes {@code length} bytes at {@code block}'s start into {@code out[at]} (high) and {@code out[at + 1]} (low). */
    public void hash(MemorySegment block, long length, long[] out, int at) {
        if (kernels != null) {
            kernels.xxh3_128Into(block, length, reuse);
            out[at] = result.get(JAVA_LONG, 8);
            out[at + 1] = result.get(JAVA_LONG, 0);
        } else {
            HashValue128 v = Hashing.xxh3_128().hashBytesTo128Bits(block, 0, length, SEGMENT_BYTES);
            out[at] = v.getMostSignificantBits();
            out[at + 1] = v.getLeastSignificantBits();
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
