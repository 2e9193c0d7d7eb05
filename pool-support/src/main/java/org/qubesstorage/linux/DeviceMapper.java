package org.qubesstorage.linux;

import static java.util.Objects.requireNonNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.qubesstorage.spi.StorageException;

/**
 * Loop devices and device-mapper tables for drivers that stack devices (the {@code file} driver's
 * dm-snapshots as upstream's {@code create-snapshot} scripts make them, the {@code overlay}
 * driver's layer chains), through a {@link DeviceMapperBackend}: in production the kernel's ioctls,
 * which do what {@code losetup} and {@code dmsetup} do without a process per step. Each driver
 * names its devices by a pattern of its own, generated from identities it controls and never from
 * user input, and every name is checked against the pattern anyway.
 *
 * <p>Callers serialise changes (one lock per pool): tables refer to each other (a snapshot sits on
 * its origin's device), so they must be built and torn down in order.
 */
public final class DeviceMapper {
    private final DeviceMapperBackend backend;
    private final Pattern names;

    /** @param names the only device names this driver makes (anchored with {@code \A...\z}) */
    public DeviceMapper(DeviceMapperBackend backend, Pattern names) {
        this.backend = requireNonNull(backend, "backend");
        this.names = requireNonNull(names, "names");
    }

    /** On the running kernel ({@link DeviceMapperBackend#kernel()}). */
    public static DeviceMapper kernel(Pattern names) {
        return new DeviceMapper(DeviceMapperBackend.kernel(), names);
    }

    /** {@code name}, if it is one this driver makes; otherwise refused (nothing is done with it). */
    public String checkName(String name) {
        if (!names.matcher(name).matches()) {
            throw StorageException.invalidArgument("Refusing device-mapper name " + name);
        }
        return name;
    }

    public Path device(String name) {
        return backend.mapperDir().resolve(checkName(name));
    }

    public boolean exists(String name) {
        return Files.exists(device(name));
    }

    /** Attaches {@code file} to a free loop device (never one already used for it) and returns it. */
    public Path attachLoop(Path file, boolean readOnly) {
        return backend.attachLoop(file, readOnly);
    }

    /**
     * The table of a persistent snapshot of {@code origin} keeping its exceptions in {@code cow},
     * in chunks of {@code chunkSectors} (a store made earlier keeps the chunk size in its header).
     */
    public static String snapshotTable(long sectors, Path origin, Path cow, int chunkSectors) {
        return "0 " + sectors + " snapshot " + origin + " " + cow + " P " + chunkSectors;
    }

    /** The table of a snapshot origin: writes go to {@code origin}, old blocks to its snapshots first. */
    public static String originTable(long sectors, Path origin) {
        return "0 " + sectors + " snapshot-origin " + origin;
    }

    /** Creates device {@code name} with {@code table}, writable. */
    public void create(String name, String table) {
        create(name, table, false);
    }

    /**
     * Creates device {@code name} with {@code table} (one target per line, as {@code dmsetup}
     * takes it; no length limit); {@code readOnly}: a read-only table, whose devices (a snapshot's
     * store among them) are opened read-only and never written.
     */
    public void create(String name, String table, boolean readOnly) {
        backend.create(checkName(name), table, readOnly);
    }

    /** Replaces a device's table (after a resize, or a new layer) and makes it live. */
    public void reload(String name, String table) {
        backend.reload(checkName(name), table);
    }

    /**
     * Whether the kernel has device {@code name}, with its node in step: made when missing or
     * leading elsewhere, dropped when stale. A process killed between creating a device and making
     * its node leaves a device without a node; one killed between removing it and dropping the
     * node, a node without a device (where no udev tidies {@code /dev/mapper}).
     */
    public boolean ensureNode(String name) {
        return backend.syncNode(checkName(name));
    }

    /** Removes device {@code name} if it exists, retrying for a while if it is busy (see the backend). */
    public void remove(String name) {
        if (exists(name) || backend.loaded(checkName(name))) {
            backend.remove(name);
        }
    }

    /** Detaches {@code loop} unless a device-mapper device still sits on it (or it is gone already). */
    public void detachIfUnused(Path loop) {
        if (!Files.exists(loop) || SysBlock.hasHolders(loop)) {
            return;
        }
        backend.detachLoop(loop);
    }
}
