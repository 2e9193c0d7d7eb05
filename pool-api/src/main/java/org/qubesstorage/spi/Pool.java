package org.qubesstorage.spi;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A configured storage pool: upstream's {@code Pool}, as a blocking interface.
 *
 * <p>A pool is made by its {@link PoolDriver} from a validated {@link PoolConfig}. Construction
 * touches nothing; {@link #setup()} prepares the backend when the pool is added. Methods may be
 * called from several threads at once; a pool guards its own shared state.
 *
 * <p>Failures are {@link StorageException}s; an operation the pool does not offer throws
 * {@link ErrorCode#NOT_SUPPORTED}.
 */
public interface Pool {

    /** The pool's name in {@code qubes.xml}. */
    String name();

    /** The driver's name ({@code file-reflink}, {@code lvm_thin}, ...). */
    String driverName();

    /**
     * The attributes of this pool's {@code <pool>} element: {@code name}, {@code driver} and enough
     * driver parameters to make the same pool again.
     */
    Map<String, String> config();

    /** What this pool instance offers (see {@link Capability}: the contract runs both ways). */
    Set<Capability> capabilities();

    /**
     * Prepares the backend when the pool is added (creates directories, checks the thin pool
     * exists, ...). Called once per added pool, not at every load. Safe to call again.
     */
    void setup();

    /** Releases what {@link #setup()} prepared, where the driver does that; volumes stay. */
    void destroy();

    /**
     * Makes the {@link Volume} object for a domain's volume without touching the disk; its
     * {@link Volume#create()} comes later (or never, for an existing volume loaded from
     * {@code qubes.xml}). Fills in the vid and the pool's default {@code revisions_to_keep}.
     *
     * @throws StorageException {@link ErrorCode#NOT_SUPPORTED} for a volume type the pool does not
     *         declare; {@link ErrorCode#INVALID_ARGUMENT} for an inconsistent spec (a source without
     *         {@code snap_on_start}, a source in another pool, ...)
     */
    Volume initVolume(VolumeSpec spec);

    /** The volume with this vid, if this pool knows it. */
    Optional<Volume> getVolume(String vid);

    /** The volumes this pool holds. */
    List<Volume> listVolumes();

    /** The pool among {@code pools} whose storage contains this one's (e.g. a directory on an LV). */
    default Optional<String> includedIn(Collection<? extends Pool> pools) {
        return Optional.empty();
    }

    /** Total size in bytes, empty if unknown. */
    OptionalLong size();

    /** Used bytes, empty if unknown. */
    OptionalLong usage();

    /**
     * Detailed usage: at least {@code data_size} and {@code data_usage} where known; LVM adds
     * {@code metadata_size} and {@code metadata_usage}.
     */
    Map<String, Long> usageDetails();

    /**
     * Whether this pool would take {@code dataBytes} of new data in new volumes totalling
     * {@code virtualBytes}, checked up front by tools that plan a large import (a migration) so they
     * can refuse before writing anything. Called without locks; changes nothing. The default compares
     * with {@link #size()} minus {@link #usage()} where both are known; drivers with safety
     * thresholds (a thin pool's data and metadata limits) apply them too. Since SPI 2.
     *
     * @return why the pool would refuse, naming the pool and the numbers; empty if it fits
     */
    default Optional<String> checkSpace(long dataBytes, long virtualBytes) {
        OptionalLong size = size();
        OptionalLong usage = usage();
        if (size.isPresent() && usage.isPresent() && usage.getAsLong() + dataBytes > size.getAsLong()) {
            return Optional.of("Pool " + name() + " has " + (size.getAsLong() - usage.getAsLong())
                    + " bytes free, " + dataBytes + " bytes are needed");
        }
        return Optional.empty();
    }

    /**
     * What each volume of {@link #listVolumes()} costs, by vid ({@link Capability#SPACE_ACCOUNTING},
     * SPI 4). Called without locks and changes nothing (a driver that needs a consistent view of its
     * backend, such as a thin pool's metadata snapshot, takes and releases it within the call, also
     * on failure); running volumes are measured as they are at that moment. Without the capability
     * it throws {@link ErrorCode#NOT_SUPPORTED}.
     */
    default Map<String, SpaceUse> volumeSpace() {
        throw StorageException.notSupported(driverName(), "space accounting");
    }

    /** Default {@code revisions_to_keep} for new volumes (-1 and up). */
    int revisionsToKeep();

    void setRevisionsToKeep(int revisionsToKeep);

    /** Default {@code ephemeral} for volatile volumes. */
    boolean ephemeralVolatile();

    void setEphemeralVolatile(boolean ephemeralVolatile);
}
