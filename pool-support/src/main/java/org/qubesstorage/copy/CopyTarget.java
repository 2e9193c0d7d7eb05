package org.qubesstorage.copy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.qubesstorage.linux.DataMap.Extent;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

/** The write side: an O_DIRECT descriptor for aligned runs, a buffered one for the rest. */
final class CopyTarget implements AutoCloseable {
    private final NativeFile direct;
    private final NativeFile buffered;
    /** Whether gaps must be zeroed (a block device not known to read as zeros); then the copy also reads those cells back. */
    final boolean zeroGaps;

    private CopyTarget(NativeFile direct, NativeFile buffered, boolean zeroGaps) {
        this.direct = direct;
        this.buffered = buffered;
        this.zeroGaps = zeroGaps;
    }

    static CopyTarget open(java.nio.file.Path path, long size, boolean targetIsZero) {
        boolean block;
        if (Endpoint.exists(path)) {
            block = Endpoint.of(path).blockDevice();
        } else {
            try (NativeFile created = NativeFile.create(path, 0600)) {
                created.truncate(size);
            }
            block = false;
        }
        NativeFile buffered = NativeFile.openReadWrite(path);
        try {
            if (block) {
                long deviceSize = buffered.blockDeviceSize();
                if (deviceSize < size) {
                    throw new StorageException(ErrorCode.INSUFFICIENT_SPACE, "Target device " + path + " has "
                            + deviceSize + " bytes, the source needs " + size);
                }
            } else {
                // A file target is made all zeros by truncation: no gap ever needs writing.
                buffered.truncate(0);
                buffered.truncate(size);
            }
            NativeFile direct = NativeFile.openWriteDirect(path);
            return new CopyTarget(direct, buffered, block && !targetIsZero);
        } catch (RuntimeException e) {
            buffered.close();
            throw e;
        }
    }

    void write(MemorySegment data, long offset, long length) {
        boolean aligned = offset % SparseCopier.DIRECT_ALIGNMENT == 0 && length % SparseCopier.DIRECT_ALIGNMENT == 0;
        (aligned && direct.isDirect() ? direct : buffered).writeFully(data, length, offset);
    }

    void zeroGap(long offset, long length) {
        if (zeroGaps) {
            zeroAligned(offset, offset + length);
        }
    }

    /** On a target not known to be zero, zeroes what the copy will not write: the source's holes. */
    void zeroHoles(List<Extent> extents, long size) {
        if (!zeroGaps) {
            return;
        }
        long pos = 0;
        for (Extent e : extents) {
            zeroAligned(pos, e.start());
            pos = e.end();
        }
        zeroAligned(pos, size);
    }

    private void zeroAligned(long start, long end) {
        long alignedEnd = end - end % 512;
        if (alignedEnd > start) {
            buffered.zeroOut(start, alignedEnd - start);
        }
        if (alignedEnd < end && end > start) {
            // The device's last partial sector: plain zero bytes.
            try (Arena arena = Arena.ofConfined()) {
                long from = Math.max(start, alignedEnd);
                buffered.writeFully(arena.allocate(end - from), end - from, from);
            }
        }
    }

    void sync() {
        buffered.fdatasync();
        direct.fdatasync();
    }

    @Override
    public void close() {
        try {
            direct.close();
        } finally {
            buffered.close();
        }
    }
}
