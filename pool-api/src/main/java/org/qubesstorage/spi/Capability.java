package org.qubesstorage.spi;

/**
 * What a pool instance offers. Declared per pool (a driver may offer more or less depending on its
 * configuration, e.g. reflink only on a file system that has it) through {@link Pool#capabilities()}.
 *
 * <p>The contract runs both ways and the conformance kit checks both: a declared capability works,
 * and an undeclared one fails with {@link ErrorCode#NOT_SUPPORTED} (never silently does something
 * else).
 */
public enum Capability {
    /** Volumes with {@code save_on_stop} and no {@code snap_on_start} (origin volumes). */
    ORIGIN_VOLUMES,
    /** Volumes with {@code snap_on_start} and no {@code save_on_stop} (snapshot volumes). */
    SNAPSHOT_VOLUMES,
    /** Volumes with neither flag (volatile volumes). */
    VOLATILE_VOLUMES,
    /** The unusual type with both {@code snap_on_start} and {@code save_on_stop}. */
    ORIGIN_SNAPSHOT_VOLUMES,
    /** Committed states are kept as revisions, up to {@code revisions_to_keep}. */
    REVISIONS,
    /** {@link Volume#revert(String)} restores a revision. */
    REVERT,
    /** Revert first keeps the current state as a new revision, so a revert can be reverted. */
    REVERT_KEEPS_CURRENT,
    /** {@code revisions_to_keep = -1}: the volume is used directly, with no snapshot while running. */
    SNAPSHOTS_DISABLED,
    /** {@link Volume#resize(long)} to a larger size. */
    GROW,
    /** {@link Volume#resize(long)} to a smaller size (only when the caller asks explicitly). */
    SHRINK,
    /** {@link Volume#export()} of a running volume returns its state from before the start. */
    EXPORT_WHILE_RUNNING,
    /** {@link Volume#importData(long)} and {@link Volume#importDataEnd(boolean)}. */
    IMPORT_DATA,
    /** A same-pool {@link Volume#importVolume(Volume)} copies no data (reflink, thin snapshot). */
    CHEAP_CLONE,
    /**
     * A same-pool {@link Volume#importVolume(Volume)} makes the volume a layer holding only its own
     * changes over the source's committed revision (SPI 3). {@link Volume#layer()} describes it; the
     * revision it sits on is kept, and listed {@linkplain Revision#pinned() pinned}, whatever
     * {@code revisions_to_keep} says, until nothing sits on it; removing a volume others sit on
     * fails with {@link ErrorCode#IN_USE}.
     */
    LAYERS,
    /**
     * {@link Pool#volumeSpace()} reports each volume's allocated, exclusive and shared bytes
     * (SPI 4).
     */
    SPACE_ACCOUNTING,
    /**
     * A stopped volume keeps its data in regular files of a file system that shares extents, which
     * {@link Volume#dedupFiles()} names for offline deduplication with {@code FIDEDUPERANGE} (SPI 4).
     */
    DEDUPLICATION,
    /**
     * {@link Volume#storedData()} says where a stopped volume's data and its revisions' lie, so
     * that a tool can report blocks stored more than once where nothing can share them, such as
     * thin volumes or a branch's layer against its parent (SPI 5).
     */
    DUPLICATE_REPORT
}
