package org.qubesstorage.file.legacy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalLong;
import org.qubesstorage.linux.NativeFile;

/**
 * A persistent dm-snapshot COW file that holds no exceptions yet: its first chunk is the header
 * {@code "SnAp", valid=1, version=1, chunk_size=256} and the rest zeros (upstream's
 * {@code EMPTY_SNAPSHOT}). A COW file with anything else in it means the origin was written since
 * the snapshot was taken: the volume is dirty.
 */
final class SnapshotHeader {
    /** Length of upstream's EMPTY_SNAPSHOT: one 128 KiB chunk plus the 128 KiB exception area. */
    static final int EMPTY_LENGTH = 256 * 1024;
    static final byte[] HEADER = {'S', 'n', 'A', 'p', 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0};

    private SnapshotHeader() {}

    /** Whether {@code cow} holds data beyond an empty snapshot header (SEEK_DATA, not reading holes). */
    static boolean hasExceptions(Path cow) {
        if (!Files.exists(cow)) {
            return false;
        }
        try (NativeFile f = NativeFile.openRead(cow)) {
            OptionalLong firstData = f.seekData(0);
            if (firstData.isEmpty()) {
                return false;
            }
            if (firstData.getAsLong() >= EMPTY_LENGTH) {
                return true;
            }
            OptionalLong beyond = f.seekData(EMPTY_LENGTH);
            if (beyond.isPresent()) {
                return true;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(EMPTY_LENGTH, 4096);
                long got = f.readFully(buf, EMPTY_LENGTH, 0);
                byte[] head = buf.asSlice(0, HEADER.length).toArray(ValueLayout.JAVA_BYTE);
                if (got >= HEADER.length && !Arrays.equals(head, HEADER)) {
                    return got > 0 && !allZero(buf, 0, got);
                }
                return !allZero(buf, HEADER.length, got);
            }
        }
    }

    private static boolean allZero(MemorySegment buf, long from, long to) {
        for (long i = from; i < to; i++) {
            if (buf.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }
}
