package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The persistent configuration of one volume: exactly what {@code qubes.xml} holds in a
 * {@code <volume>} element (upstream's {@code Volume.config}).
 *
 * @param name            the volume's name inside its domain
 * @param pool            the owning pool's name
 * @param vid             the pool-unique volume id
 * @param revisionsToKeep revisions kept besides the current state; {@code -1} disables snapshots
 * @param rw              exposed read-write
 * @param saveOnStop      committed at stop (see {@link VolumeType})
 * @param snapOnStart     started from a fresh snapshot of {@code source}
 * @param size            size in bytes; 0 means "not set" (and is not written)
 * @param source          the source volume's vid, only with {@code snapOnStart}
 * @param ephemeral       explicit ephemeral (throw-away key) setting; empty means "the default"
 */
public record VolumeConfig(
        String name,
        String pool,
        String vid,
        int revisionsToKeep,
        boolean rw,
        boolean saveOnStop,
        boolean snapOnStart,
        long size,
        Optional<String> source,
        Optional<Boolean> ephemeral) {

    public VolumeConfig {
        requireNonNull(name, "name");
        requireNonNull(pool, "pool");
        requireNonNull(vid, "vid");
        requireNonNull(source, "source");
        requireNonNull(ephemeral, "ephemeral");
        if (revisionsToKeep < -1) {
            throw StorageException.invalidArgument("revisions_to_keep of volume " + name
                    + " must be -1 or more, not " + revisionsToKeep);
        }
        if (size < 0) {
            throw StorageException.invalidArgument("Size of volume " + name + " must not be negative: " + size);
        }
    }

    public VolumeType type() {
        return VolumeType.of(snapOnStart, saveOnStop);
    }

    /** Upstream's {@code snapshots_disabled}: {@code revisions_to_keep == -1} on an origin volume. */
    public boolean snapshotsDisabled() {
        return revisionsToKeep == -1 && !snapOnStart && saveOnStop;
    }

    /**
     * Upstream's {@code ephemeral} getter: the explicit value if set; otherwise false for anything
     * but a writable volatile volume, which follows the pool's {@code ephemeral_volatile}.
     */
    public boolean effectiveEphemeral(boolean poolEphemeralVolatile) {
        if (ephemeral.isPresent()) {
            return ephemeral.get();
        }
        if (snapOnStart || saveOnStop || !rw) {
            return false;
        }
        return poolEphemeralVolatile;
    }

    public VolumeConfig withSize(long newSize) {
        return new VolumeConfig(name, pool, vid, revisionsToKeep, rw, saveOnStop, snapOnStart, newSize, source, ephemeral);
    }

    public VolumeConfig withRevisionsToKeep(int n) {
        return new VolumeConfig(name, pool, vid, n, rw, saveOnStop, snapOnStart, size, source, ephemeral);
    }

    public VolumeConfig withRw(boolean newRw) {
        return new VolumeConfig(name, pool, vid, revisionsToKeep, newRw, saveOnStop, snapOnStart, size, source, ephemeral);
    }

    public VolumeConfig withEphemeral(Optional<Boolean> newEphemeral) {
        return new VolumeConfig(name, pool, vid, revisionsToKeep, rw, saveOnStop, snapOnStart, size, source, newEphemeral);
    }

    /**
     * The attributes of the {@code <volume>} element, in upstream's order, booleans as
     * {@code True}/{@code False}, {@code size} left out when 0, {@code ephemeral} when unset and
     * {@code source} when absent.
     */
    public Map<String, String> toAttributes() {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("name", name);
        attrs.put("pool", pool);
        attrs.put("vid", vid);
        attrs.put("revisions_to_keep", Integer.toString(revisionsToKeep));
        attrs.put("rw", pythonBool(rw));
        attrs.put("save_on_stop", pythonBool(saveOnStop));
        attrs.put("snap_on_start", pythonBool(snapOnStart));
        ephemeral.ifPresent(e -> attrs.put("ephemeral", pythonBool(e)));
        if (size != 0) {
            attrs.put("size", Long.toString(size));
        }
        source.ifPresent(s -> attrs.put("source", s));
        return attrs;
    }

    public static String pythonBool(boolean b) {
        return b ? "True" : "False";
    }
}
