package org.qubesstorage.spi;

import java.util.Optional;

/**
 * Upstream's {@code Volume.__init__} rules, shared by every driver's {@link Pool#initVolume}: a
 * source only with {@code snap_on_start} and always in the same pool, a type the pool declares, and
 * {@code ephemeral} only on writable volatile volumes.
 */
public final class VolumeRules {
    private VolumeRules() {}

    /** Checks {@code spec} against upstream's rules and {@code pool}'s capabilities. */
    public static void validate(Pool pool, VolumeSpec spec) {
        String what = "volume " + spec.name() + " of " + spec.domain().name();
        if (spec.snapOnStart() && spec.source().isEmpty()) {
            throw StorageException.invalidArgument("snap_on_start specified on " + what + " but no volume source set");
        }
        if (!spec.snapOnStart() && spec.source().isPresent()) {
            throw StorageException.invalidArgument("source specified on " + what + " but no snap_on_start set");
        }
        spec.source().ifPresent(src -> {
            if (!src.pool().name().equals(pool.name())) {
                throw StorageException.invalidArgument("The source of " + what + " (" + src.vid() + " in pool "
                        + src.pool().name() + ") must be in the same pool " + pool.name());
            }
        });
        VolumeType type = spec.type();
        if (!pool.capabilities().contains(type.capability())) {
            throw StorageException.notSupported(pool.driverName(), type.name().toLowerCase(java.util.Locale.ROOT)
                    + " volumes (snap_on_start=" + spec.snapOnStart() + ", save_on_stop=" + spec.saveOnStop()
                    + ") such as " + what);
        }
        if (spec.ephemeral().orElse(false) && (spec.snapOnStart() || spec.saveOnStop() || !spec.rw())) {
            throw StorageException.invalidArgument("Cannot enable ephemeral on " + what
                    + ": only writable volatile volumes (neither snap_on_start nor save_on_stop) can be ephemeral");
        }
        int rtk = spec.revisionsToKeep().orElse(pool.revisionsToKeep());
        if (rtk < -1) {
            throw StorageException.invalidArgument("revisions_to_keep of " + what + " must be -1 or more, not " + rtk);
        }
        if (rtk == -1 && !pool.capabilities().contains(Capability.SNAPSHOTS_DISABLED) && spec.saveOnStop()
                && !spec.snapOnStart()) {
            throw StorageException.notSupported(pool.driverName(), "revisions_to_keep=-1 (snapshots disabled) on " + what);
        }
    }

    /** The configuration of a volume made from a validated spec. */
    public static VolumeConfig toConfig(Pool pool, VolumeSpec spec, String vid, int revisionsToKeep) {
        long size = spec.size();
        if (size == 0 && spec.source().isPresent()) {
            size = spec.source().get().config().size();
        }
        Optional<String> source = spec.source().map(Volume::vid);
        return new VolumeConfig(spec.name(), pool.name(), vid, revisionsToKeep, spec.rw(), spec.saveOnStop(),
                spec.snapOnStart(), size, source, spec.ephemeral());
    }
}
