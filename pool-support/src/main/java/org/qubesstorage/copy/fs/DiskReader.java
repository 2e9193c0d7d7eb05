package org.qubesstorage.copy.fs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.qubesstorage.linux.NativeFile;

/** Small reads of on-disk structures into little-endian heap buffers. */
final class DiskReader {
    private DiskReader() {}

    /** {@code length} bytes at {@code offset}, or null if the source ends before. */
    static ByteBuffer read(NativeFile file, long offset, int length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(length, 4096);
            long got = file.readFully(seg, length, offset);
            if (got < length) {
                return null;
            }
            byte[] bytes = seg.toArray(ValueLayout.JAVA_BYTE);
            return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    static long u32(ByteBuffer b, int offset) {
        return Integer.toUnsignedLong(b.getInt(offset));
    }

    static int u16(ByteBuffer b, int offset) {
        return Short.toUnsignedInt(b.getShort(offset));
    }
}
