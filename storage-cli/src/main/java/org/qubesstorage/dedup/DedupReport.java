package org.qubesstorage.dedup;

import java.util.Map;

/**
 * What a scan found and, once applied, what the kernel did.
 *
 * @param blockSize        the block the scan compared
 * @param scannedBytes     data read (holes are not read; all-zero blocks are read but not indexed)
 * @param duplicateBytes   blocks whose content another block has, not already sharing its storage
 * @param reclaimableBytes storage freed once every duplicate shares one copy (a block stored once
 *                         but referenced twice is counted once)
 * @param byVolume         reclaimable bytes by the vid whose storage would be freed
 * @param byPair           reclaimable bytes by "vid &lt;- vid": the volume freed and the volume
 *                         whose copy it would share
 * @param sharedBytes      bytes the kernel made share (0 for a dry run)
 * @param changedBytes     bytes the kernel found different from the plan (written since the scan):
 *                         left as they are
 * @param unsupportedBytes bytes the file system refused to share
 * @param relocatedBytes   bytes copied to new extents so that partly shared btrfs extents are freed
 * @param indexBuckets     how many on-disk buckets the index was spread over
 * @param indexBytes       the size of the index on disk (each bucket in memory in turn)
 */
public record DedupReport(int blockSize, long scannedBytes, long duplicateBytes, long reclaimableBytes,
                          Map<String, Long> byVolume, Map<String, Long> byPair, long sharedBytes, long changedBytes,
                          long unsupportedBytes, long relocatedBytes, int indexBuckets, long indexBytes) {
    public DedupReport {
        byVolume = Map.copyOf(byVolume);
        byPair = Map.copyOf(byPair);
    }

    DedupReport withApplied(long shared, long changed, long unsupported, long relocated) {
        return new DedupReport(blockSize, scannedBytes, duplicateBytes, reclaimableBytes, byVolume, byPair, shared, changed,
                unsupported, relocated, indexBuckets, indexBytes);
    }
}
