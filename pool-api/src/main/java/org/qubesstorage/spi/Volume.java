package org.qubesstorage.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One volume of a domain in a pool: upstream's {@code Volume}, as a blocking interface.
 *
 * <h2>Semantics</h2>
 * The volume's {@link VolumeType} (from {@code snap_on_start} × {@code save_on_stop}) decides what
 * start and stop do:
 * <table>
 *   <caption>What start and stop do, per type</caption>
 *   <tr><th>type</th><th>start</th><th>stop</th><th>export</th></tr>
 *   <tr><td>origin</td><td>continue from the committed state (or, after a crash, from the
 *       uncommitted one)</td><td>commit; the previous state becomes a revision</td>
 *       <td>the committed state (pre-start data while running)</td></tr>
 *   <tr><td>snapshot</td><td>a fresh snapshot of the source's committed state</td>
 *       <td>discard</td><td>not supported</td></tr>
 *   <tr><td>volatile</td><td>empty (all zeros)</td><td>discard</td><td>not supported</td></tr>
 * </table>
 * With {@code revisions_to_keep = -1} an origin volume is used directly: no snapshot while it runs,
 * no revisions, and export is refused while it runs.
 *
 * <h2>Threads and locks</h2>
 * Methods block until done; the host runs independent volumes concurrently (on virtual threads).
 * The host holds {@link #lock()} while calling any method that changes state: {@code create},
 * {@code remove}, {@code start}, {@code stop}, {@code importData}, {@code importDataEnd},
 * {@code importVolume}, {@code revert}, {@code resize}. Query methods ({@code isDirty},
 * {@code isOutdated}, {@code revisions}, {@code size}, {@code usage}, {@code blockDevice},
 * {@code verify}, {@code export}) may be called without it and must not change state. A driver
 * that needs to serialise across volumes (one shared device-mapper table, one lvs cache) keeps its
 * own pool-level lock and takes it after the volume lock, never before.
 *
 * <h2>Failure</h2>
 * Every method reports failure with a {@link StorageException}. A failed mutation leaves the volume
 * as it was before the call, or, where that cannot be guaranteed (a crash, a killed process), in a
 * state the next {@code start}, {@code stop} or {@code remove} recovers from without losing
 * committed data. Operations a pool does not offer throw {@link ErrorCode#NOT_SUPPORTED}.
 */
public interface Volume {

    /** The configuration as it should be written to {@code qubes.xml} now (size follows resizes). */
    VolumeConfig config();

    /** The owning pool. */
    Pool pool();

    /** The source volume of a snapshot volume; empty for other types. */
    Optional<Volume> source();

    /** The per-volume lock the host holds around mutating calls (see the class comment). */
    ReentrantLock lock();

    default String name() {
        return config().name();
    }

    default String vid() {
        return config().vid();
    }

    default VolumeType type() {
        return config().type();
    }

    /**
     * Creates the volume on disk. Called once in the volume's life, after
     * {@link Pool#initVolume(VolumeSpec)}; nothing on disk is touched before it. Snapshot and
     * volatile volumes may create nothing until started.
     *
     * @throws StorageException {@link ErrorCode#ALREADY_EXISTS} if its data is already there,
     *         {@link ErrorCode#INSUFFICIENT_SPACE} if the pool has no room
     */
    void create();

    /** Removes the volume and all its revisions from disk. Removing what is not there succeeds. */
    void remove();

    /**
     * Prepares the volume for a domain start: takes the snapshot of a snapshot volume, empties a
     * volatile volume, and for an origin volume found dirty (a crash: started, never stopped)
     * resumes the uncommitted state instead of discarding it.
     */
    void start();

    /** Cleans up after the domain stopped: commits an origin volume, discards the others. */
    void stop();

    /**
     * A path to read the volume's data from. While the volume runs, the pre-start (committed) data.
     * Pair every call with {@link #exportEnd(Path)}.
     */
    Path export();

    /** Releases what {@link #export()} prepared. */
    void exportEnd(Path exported);

    /**
     * Starts an import of new data: returns a path of exactly {@code size} bytes to write the data
     * to, reading as zeros wherever nothing is written (a new sparse file, a new thin LV), so a
     * copier may skip the source's holes and zero blocks. The volume must not run. Always followed
     * by {@link #importDataEnd(boolean)}.
     */
    Path importData(long size);

    /**
     * Ends {@link #importData(long)}: on success the written data becomes the committed state (the
     * previous one a revision); on failure it is discarded and the old data stays unchanged.
     */
    void importDataEnd(boolean success);

    /**
     * Replaces this (created, stopped) volume's data with {@code source}'s committed data, and
     * takes its size. Within one pool a driver declaring {@link Capability#CHEAP_CLONE} copies
     * nothing. On failure the old data stays.
     */
    void importVolume(Volume source);

    /** Whether a {@code save_on_stop} volume holds uncommitted changes (running, or crashed). */
    boolean isDirty();

    /** Whether a running snapshot volume's source has been committed since the snapshot was taken. */
    boolean isOutdated();

    /**
     * What this volume sits on, when it is a layer ({@link Capability#LAYERS}: a same-pool clone);
     * empty for every other volume and from drivers without layers (SPI 3). Reads state only: no
     * lock needed, and nothing changes on failure.
     */
    default Optional<Layer> layer() {
        return Optional.empty();
    }

    /**
     * Changes the size. Growing keeps all data; shrinking (only with {@link Capability#SHRINK})
     * cuts the end off. A running volume's device follows the new size.
     */
    void resize(long newSize);

    /** The kept revisions, oldest first. */
    List<Revision> revisions();

    /**
     * Restores revision {@code revisionId}. With {@link Capability#REVERT_KEEPS_CURRENT} the current
     * state is kept as a new revision first. The volume must not be dirty.
     */
    void revert(String revisionId);

    /** Restores the newest revision. */
    default void revert() {
        List<Revision> revs = revisions();
        if (revs.isEmpty()) {
            throw StorageException.notFound("Volume " + vid() + " has no revisions to revert to");
        }
        revert(revs.getLast().id());
    }

    /** Checks the volume's data is where it should be; throws {@link ErrorCode#NOT_FOUND} if not. */
    void verify();

    /** What to attach to the domain; empty when there is nothing to attach. */
    Optional<BlockDevice> blockDevice();

    /** The size in bytes, following a resize (the running device's size while running). */
    long size();

    /** Bytes actually allocated (at most {@link #size()} for sparse storage); empty if unknown. */
    OptionalLong usage();

    /**
     * The regular files that hold this stopped volume's committed data and its revisions, for an
     * offline tool to deduplicate with {@code FIDEDUPERANGE} ({@link Capability#DEDUPLICATION},
     * SPI 4). The kernel compares the bytes before it shares them, so no content changes whatever
     * happens in between; the driver only promises that these files are what it reads the volume
     * from. The host holds {@link #lock()}. A running volume is refused with {@link ErrorCode#BUSY}
     * naming why; without the capability it throws {@link ErrorCode#NOT_SUPPORTED}.
     */
    default List<Path> dedupFiles() {
        throw StorageException.notSupported(pool().driverName(), "deduplication");
    }

    /**
     * Where this stopped volume's data lies, its revisions' included, each piece of storage listed
     * once ({@link Capability#DUPLICATE_REPORT}, SPI 5): for a tool that reads it to find blocks
     * stored more than once. Together the pieces hold every block of the volume's committed data,
     * possibly among blocks it no longer uses; the tool only reads them. The host holds
     * {@link #lock()}, and the paths stay readable until it is released (a driver may activate a
     * device for it and leave it active, as {@link #export()} does). A running volume is refused
     * with {@link ErrorCode#BUSY} naming why; without the capability it throws {@link
     * ErrorCode#NOT_SUPPORTED}.
     */
    default List<StoredData> storedData() {
        throw StorageException.notSupported(pool().driverName(), "duplicate reports");
    }

    /** Changes {@code revisions_to_keep} (-1 and up); extra revisions go at the next commit. */
    void setRevisionsToKeep(int revisionsToKeep);
}
