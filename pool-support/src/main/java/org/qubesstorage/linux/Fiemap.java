package org.qubesstorage.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where a file's data lies on disk, from {@code ioctl(FS_IOC_FIEMAP)}: each extent's logical and
 * physical offset and whether the file system shares it with another file or another reference
 * ({@code FIEMAP_EXTENT_SHARED}: reflinks, deduplicated blocks, btrfs snapshots). Holes are absent.
 */
public final class Fiemap {
    private static final int HEADER = 32;
    private static final int EXTENT = 56;
    private static final int BATCH = 512;
    private static final int FLAG_SYNC = 0x1;
    private static final int EXTENT_LAST = 0x1;
    private static final int EXTENT_UNKNOWN = 0x2;
    private static final int EXTENT_DELALLOC = 0x4;
    private static final int EXTENT_INLINE = 0x200;
    private static final int EXTENT_SHARED = 0x2000;

    private Fiemap() {}

    /**
     * One mapped extent of a file.
     *
     * @param logical  offset in the file
     * @param physical offset on the device (meaningless when {@link #located()} is false)
     * @param length   bytes
     * @param shared   the file system says another reference shares these blocks
     * @param located  the physical offset identifies the blocks (not inline, delayed or unknown)
     */
    public record Extent(long logical, long physical, long length, boolean shared, boolean located) {}

    /**
     * The extents of {@code file} (flushed first, so delayed allocation has a place), or empty where
     * the file system has no FIEMAP (tmpfs, overlayfs): callers fall back to allocation figures.
     */
    public static Optional<List<Extent>> of(NativeFile file) {
        List<Extent> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment req = arena.allocate(HEADER + (long) EXTENT * BATCH, 8);
            long start = 0;
            int flags = FLAG_SYNC;
            while (true) {
                req.fill((byte) 0);
                req.set(ValueLayout.JAVA_LONG, 0, start);
                req.set(ValueLayout.JAVA_LONG, 8, Long.MAX_VALUE - start);
                req.set(ValueLayout.JAVA_INT, 16, flags);
                req.set(ValueLayout.JAVA_INT, 24, BATCH);
                if (Libc.ioctl(file.fd(), Libc.FS_IOC_FIEMAP, req) != 0) {
                    int errno = Libc.errno();
                    if (errno == Libc.EOPNOTSUPP || errno == Libc.ENOTTY || errno == Libc.EINVAL) {
                        return Optional.empty();
                    }
                    throw SyscallException.of("ioctl(FS_IOC_FIEMAP)", file.path(), errno);
                }
                int mapped = req.get(ValueLayout.JAVA_INT, 20);
                if (mapped == 0) {
                    return Optional.of(out);
                }
                boolean last = false;
                for (int i = 0; i < mapped; i++) {
                    long at = HEADER + (long) EXTENT * i;
                    long logical = req.get(ValueLayout.JAVA_LONG, at);
                    long physical = req.get(ValueLayout.JAVA_LONG, at + 8);
                    long length = req.get(ValueLayout.JAVA_LONG, at + 16);
                    int fl = req.get(ValueLayout.JAVA_INT, at + 40);
                    boolean located = (fl & (EXTENT_UNKNOWN | EXTENT_DELALLOC | EXTENT_INLINE)) == 0;
                    out.add(new Extent(logical, physical, length, (fl & EXTENT_SHARED) != 0, located));
                    last |= (fl & EXTENT_LAST) != 0;
                    start = logical + length;
                }
                if (last) {
                    return Optional.of(out);
                }
                flags = 0; // flushed once is enough
            }
        }
    }
}
