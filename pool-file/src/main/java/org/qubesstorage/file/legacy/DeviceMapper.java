package org.qubesstorage.file.legacy;

import static java.util.Objects.requireNonNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.qubesstorage.linux.SysBlock;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandRunner;
import org.qubesstorage.spi.StorageException;

/**
 * The device-mapper stacking of upstream's {@code file} driver (its {@code create-snapshot} and
 * {@code destroy-snapshot} scripts), through {@code losetup} and {@code dmsetup} run without a shell.
 * Device names are generated from file identities ({@code <st_dev hex>:<inode>}), never from user
 * input, and are checked anyway; every positional name follows {@code --}.
 *
 * <p>All changes are serialised by one lock per pool: dm tables refer to each other (an AppVM's
 * snapshot sits on its template's), so they must be built and torn down in order.
 */
final class DeviceMapper {
    private static final Pattern DM_NAME = Pattern.compile("\\A(origin|snapshot)(-[0-9a-f]+:[0-9]+)+\\z");
    private static final Map<String, String> ENV = Map.of("LC_ALL", "C");
    /** dm-snapshot chunk size in 512-byte sectors (128 KiB), as upstream. */
    static final int CHUNK_SECTORS = 256;

    private final CommandRunner runner;
    private final Path mapperDir;

    DeviceMapper(CommandRunner runner, Path mapperDir) {
        this.runner = requireNonNull(runner, "runner");
        this.mapperDir = requireNonNull(mapperDir, "mapperDir");
    }

    static String checkName(String name) {
        if (!DM_NAME.matcher(name).matches()) {
            throw StorageException.invalidArgument("Refusing device-mapper name " + name);
        }
        return name;
    }

    Path device(String name) {
        return mapperDir.resolve(checkName(name));
    }

    boolean exists(String name) {
        return Files.exists(device(name));
    }

    /** Attaches {@code file} to a free loop device (never one already used for it) and returns it. */
    Path attachLoop(Path file, boolean readOnly) {
        List<String> argv = new ArrayList<>(List.of("losetup", "--find", "--nooverlap", "--show"));
        if (readOnly) {
            argv.add("--read-only");
        }
        argv.add("--");
        argv.add(file.toString());
        String out = runner.run(new Command(argv, ENV, Command.DEFAULT_TIMEOUT)).requireSuccess("Attaching " + file).stdout().strip();
        if (!out.startsWith("/dev/loop")) {
            throw StorageException.backend("losetup printed no loop device for " + file + ": " + out, null);
        }
        return Path.of(out);
    }

    /** The table of a persistent snapshot of {@code origin} keeping its exceptions in {@code cow}. */
    static String snapshotTable(long sectors, Path origin, Path cow) {
        return "0 " + sectors + " snapshot " + origin + " " + cow + " P " + CHUNK_SECTORS;
    }

    /** The table of a snapshot origin: writes go to {@code origin}, old blocks to its snapshots first. */
    static String originTable(long sectors, Path origin) {
        return "0 " + sectors + " snapshot-origin " + origin;
    }

    void create(String name, String table) {
        runner.run(new Command(List.of("dmsetup", "create", "--table", table, "--", checkName(name)), ENV,
                Command.DEFAULT_TIMEOUT)).requireSuccess("Creating device-mapper device " + name);
        syncNode(name);
    }

    /**
     * Where no udev makes {@code /dev/mapper} nodes (a minimal system, the test VM), libdm may leave
     * them out; {@code dmsetup mknodes} adds a missing node or drops a stale one, and is harmless
     * where udev already did its job.
     */
    private void syncNode(String name) {
        runner.run(new Command(List.of("dmsetup", "mknodes", "--", checkName(name)), ENV, Command.DEFAULT_TIMEOUT))
                .requireSuccess("Creating the device node of " + name);
    }

    /** Replaces a device's table (after a resize) and makes it live. */
    void reload(String name, String table) {
        runner.run(new Command(List.of("dmsetup", "load", "--table", table, "--", checkName(name)), ENV,
                Command.DEFAULT_TIMEOUT)).requireSuccess("Loading a new table into " + name);
        runner.run(new Command(List.of("dmsetup", "resume", "--", checkName(name)), ENV, Command.DEFAULT_TIMEOUT))
                .requireSuccess("Resuming " + name);
    }

    /** Whether the kernel has device {@code name} (not only a node in /dev/mapper). */
    private boolean loaded(String name) {
        return runner.run(new Command(List.of("dmsetup", "info", "--", checkName(name)), ENV, Command.DEFAULT_TIMEOUT))
                .succeeded();
    }

    /**
     * Removes device {@code name} if it exists. {@code --retry} makes libdm retry for a few seconds while
     * the device is busy: an LVM command's device scan (another pool's volumes start and stop at the same
     * time, in their own lock) or udev's blkid probe opens every block device for a moment, and a plain
     * remove fails with EBUSY then ({@code InVmLvmScenarios} holds a device open for a second as it
     * stops, which fails every time without the retry).
     */
    void remove(String name) {
        if (exists(name)) {
            if (loaded(name)) {
                runner.run(new Command(List.of("dmsetup", "remove", "--retry", "--", checkName(name)), ENV,
                                Command.DEFAULT_TIMEOUT))
                        .requireSuccess("Removing device-mapper device " + name);
            }
            if (exists(name)) {
                syncNode(name);
            }
        }
    }

    /** Detaches {@code loop} unless a device-mapper device still sits on it (or it is gone already). */
    void detachIfUnused(Path loop) {
        if (!Files.exists(loop) || SysBlock.hasHolders(loop)) {
            return;
        }
        runner.run(new Command(List.of("losetup", "--detach", loop.toString()), ENV, Command.DEFAULT_TIMEOUT))
                .requireSuccess("Detaching " + loop);
    }
}
