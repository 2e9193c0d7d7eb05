package org.qubesstorage.overlay.cow;

/**
 * Where things are in an exception store of a given chunk size: the arithmetic of
 * {@code area_location} and {@code skip_metadata} in the kernel's {@code dm-snap-persistent.c}.
 *
 * @param chunkSectors the chunk size in 512-byte sectors: a power of two from 8 (4 KiB, a page,
 *                     the smallest chunk a 4 KiB-sector device accepts) to 2048 (1 MiB)
 */
public record CowGeometry(int chunkSectors) {
    /** dm-snapshot's default chunk size (DM_CHUNK_SIZE_DEFAULT_SECTORS): 16 KiB. */
    public static final CowGeometry DEFAULT = new CowGeometry(32);
    static final int SECTOR = 512;
    /** Bytes of one exception on disk: two little-endian 64-bit chunk numbers. */
    static final int EXCEPTION_BYTES = 16;

    public CowGeometry {
        if (chunkSectors < 8 || chunkSectors > 2048 || Integer.bitCount(chunkSectors) != 1) {
            throw new IllegalArgumentException("chunk size must be a power of two from 8 to 2048 sectors, not " + chunkSectors);
        }
    }

    /** The geometry for a chunk of {@code bytes}. */
    public static CowGeometry ofChunkBytes(long bytes) {
        if (bytes % SECTOR != 0 || bytes / SECTOR > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("chunk size must be a whole number of 512-byte sectors, not " + bytes + " bytes");
        }
        return new CowGeometry((int) (bytes / SECTOR));
    }

    public int chunkBytes() {
        return chunkSectors * SECTOR;
    }

    /** E: how many exceptions one metadata area holds (and how many data chunks follow it). */
    public int exceptionsPerArea() {
        return chunkBytes() / EXCEPTION_BYTES;
    }

    /** The chunk of metadata area {@code area}. */
    public long areaChunk(long area) {
        return 1 + (exceptionsPerArea() + 1L) * area;
    }

    /** Whether chunk {@code chunk} (of the store) is the header or a metadata area, never data. */
    public boolean isMetadata(long chunk) {
        return chunk == 0 || chunk % (exceptionsPerArea() + 1L) == 1;
    }

    /** The first chunk a store allocates to data: after the header and the first area. */
    public long firstDataChunk() {
        return 2;
    }

    /** The origin chunks an origin of {@code originBytes} has (the last one may be partial). */
    public long originChunks(long originBytes) {
        return (originBytes + chunkBytes() - 1) / chunkBytes();
    }

    /**
     * The size a store needs so that every chunk of an origin of {@code originBytes} can get its
     * exception: the header, all data chunks, their areas, and the area the kernel zeroes when the
     * last one fills. A store file is sparse: what it does not use costs nothing.
     */
    public long capacityBytes(long originBytes) {
        long areas = (originChunks(originBytes) + exceptionsPerArea() - 1) / exceptionsPerArea();
        long chunks = 1 + (areas + 1) * (exceptionsPerArea() + 1L);
        return chunks * chunkBytes();
    }
}
