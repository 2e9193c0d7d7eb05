package org.qubesstorage.linux;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The allocated ranges of a sparse file, from {@code lseek(SEEK_DATA/SEEK_HOLE)}: holes are skipped
 * by the map, never by reading them. A file system or device without the calls (a block device) is
 * reported as one range of data covering everything.
 */
public final class DataMap {
    private DataMap() {}

    /** A half-open byte range {@code [start, end)}. */
    public record Extent(long start, long end) {
        public Extent {
            if (start < 0 || end < start) {
                throw new IllegalArgumentException("bad extent [" + start + ", " + end + ")");
            }
        }

        public long length() {
            return end - start;
        }
    }

    /** The data extents of {@code file}, whose logical size is {@code size}. */
    public static List<Extent> of(NativeFile file, long size) {
        List<Extent> extents = new ArrayList<>();
        if (size == 0) {
            return extents;
        }
        if (!file.supportsDataMap()) {
            extents.add(new Extent(0, size));
            return extents;
        }
        long pos = 0;
        while (pos < size) {
            OptionalLong data = file.seekData(pos);
            if (data.isEmpty() || data.getAsLong() >= size) {
                break;
            }
            long start = data.getAsLong();
            long end = Math.min(file.seekHole(start).orElse(size), size);
            if (end <= start) {
                end = size;
            }
            extents.add(new Extent(start, end));
            pos = end;
        }
        return extents;
    }

    /** The total bytes in {@code extents}. */
    public static long total(List<Extent> extents) {
        long sum = 0;
        for (Extent e : extents) {
            sum += e.length();
        }
        return sum;
    }
}
