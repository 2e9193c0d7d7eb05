package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One file or block device holding part of a stopped volume's data, and where in it that data
 * lies ({@link Volume#storedData()}, {@link Capability#DUPLICATE_REPORT}), so that a tool can find
 * blocks the pool stores more than once without knowing the driver's format.
 *
 * <p>Offsets and lengths are multiples of 512 bytes; the data of a volume may lie in a layout the
 * driver chose (an exception store, a thin device), so the extents say where its blocks are, not
 * which block of the volume each one is.
 *
 * @param path    a regular file or a block device, readable by the caller until the volume's lock
 *                is released
 * @param extents the ranges of {@code path} that hold the volume's data, ascending and disjoint
 *                (an empty list: none do); empty to mean every data range of the regular file
 *                {@code path}, which the reader maps itself ({@code SEEK_DATA}, {@code FIEMAP})
 */
public record StoredData(Path path, Optional<List<Extent>> extents) {
    public StoredData {
        requireNonNull(path, "path");
        extents = extents.map(List::copyOf);
        long end = 0;
        for (Extent e : extents.orElse(List.of())) {
            if (e.offset() < end) {
                throw new IllegalArgumentException("extents of " + path + " overlap or are out of order at " + e.offset());
            }
            end = e.offset() + e.length();
        }
    }

    /** The regular file {@code path}, mapped by the reader. */
    public static StoredData wholeFile(Path path) {
        return new StoredData(path, Optional.empty());
    }

    /** The {@code extents} of {@code path}. */
    public static StoredData of(Path path, List<Extent> extents) {
        return new StoredData(path, Optional.of(extents));
    }

    /**
     * A range of the path and where its storage lies.
     *
     * @param offset  where the range starts in the path, in bytes
     * @param length  its length in bytes, above zero
     * @param storage where its first byte is stored in the pool's storage (bytes; two ranges whose
     *                storage is equal are one copy, as thin devices sharing a data block), or
     *                {@link #OWN} when the range's storage is its own
     */
    public record Extent(long offset, long length, long storage) {
        /** Storage no other range shares. */
        public static final long OWN = -1;

        public Extent {
            if (offset < 0 || length <= 0 || offset % 512 != 0 || length % 512 != 0) {
                throw new IllegalArgumentException("an extent is a positive run of 512-byte sectors: " + offset + "+" + length);
            }
            if (storage < OWN || storage >= 0 && storage % 512 != 0) {
                throw new IllegalArgumentException("storage is a sector-aligned offset or OWN: " + storage);
            }
        }
    }
}
