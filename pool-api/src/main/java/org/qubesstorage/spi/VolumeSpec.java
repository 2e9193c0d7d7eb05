package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * What the host asks {@link Pool#initVolume(VolumeSpec)} for: a volume of a domain, before the pool
 * has given it a vid (or with the vid {@code qubes.xml} already records).
 *
 * @param domain          the owning domain
 * @param name            the volume's name inside the domain
 * @param vid             the recorded vid when loading an existing volume; empty for a new one
 * @param rw              exposed read-write
 * @param saveOnStop      committed at stop
 * @param snapOnStart     started from a snapshot of {@code source}
 * @param revisionsToKeep explicit revisions to keep; empty takes the pool's default
 * @param size            size in bytes (0 = unknown, e.g. a snapshot taking its source's size)
 * @param source          the source volume (same pool), only with {@code snapOnStart}
 * @param ephemeral       explicit ephemeral setting; empty for the default
 */
public record VolumeSpec(
        DomainRef domain,
        String name,
        Optional<String> vid,
        boolean rw,
        boolean saveOnStop,
        boolean snapOnStart,
        OptionalInt revisionsToKeep,
        long size,
        Optional<Volume> source,
        Optional<Boolean> ephemeral) {

    public VolumeSpec {
        requireNonNull(domain, "domain");
        Names.requireVolumeName(name);
        requireNonNull(vid, "vid");
        requireNonNull(revisionsToKeep, "revisionsToKeep");
        requireNonNull(source, "source");
        requireNonNull(ephemeral, "ephemeral");
        if (size < 0) {
            throw StorageException.invalidArgument("Size of volume " + name + " must not be negative: " + size);
        }
    }

    public VolumeType type() {
        return VolumeType.of(snapOnStart, saveOnStop);
    }

    /** A new origin volume ({@code save_on_stop}), like a {@code private} volume. */
    public static VolumeSpec origin(DomainRef domain, String name, long size) {
        return new VolumeSpec(domain, name, Optional.empty(), true, true, false, OptionalInt.empty(), size,
                Optional.empty(), Optional.empty());
    }

    /** A new snapshot volume of {@code source}, like an AppVM's {@code root}. */
    public static VolumeSpec snapshot(DomainRef domain, String name, Volume source, boolean rw) {
        return new VolumeSpec(domain, name, Optional.empty(), rw, false, true, OptionalInt.empty(),
                source.config().size(), Optional.of(source), Optional.empty());
    }

    /** A new volatile volume, like {@code volatile}. */
    public static VolumeSpec volatileVolume(DomainRef domain, String name, long size) {
        return new VolumeSpec(domain, name, Optional.empty(), true, false, false, OptionalInt.empty(), size,
                Optional.empty(), Optional.empty());
    }

    public VolumeSpec withRevisionsToKeep(int n) {
        return new VolumeSpec(domain, name, vid, rw, saveOnStop, snapOnStart, OptionalInt.of(n), size, source, ephemeral);
    }

    public VolumeSpec withRw(boolean newRw) {
        return new VolumeSpec(domain, name, vid, newRw, saveOnStop, snapOnStart, revisionsToKeep, size, source, ephemeral);
    }

    public VolumeSpec withVid(String newVid) {
        return new VolumeSpec(domain, name, Optional.of(newVid), rw, saveOnStop, snapOnStart, revisionsToKeep, size, source, ephemeral);
    }

    public VolumeSpec withEphemeral(boolean e) {
        return new VolumeSpec(domain, name, vid, rw, saveOnStop, snapOnStart, revisionsToKeep, size, source, Optional.of(e));
    }

    public VolumeSpec withSize(long newSize) {
        return new VolumeSpec(domain, name, vid, rw, saveOnStop, snapOnStart, revisionsToKeep, newSize, source, ephemeral);
    }
}
