package org.qubesstorage.linux;

import static java.util.Objects.requireNonNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandRunner;
import org.qubesstorage.spi.StorageException;

/**
 * Loop devices and device-mapper tables for drivers that stack devices (the {@code file} driver's
 * dm-snapshots as upstream's {@code create-snapshot} scripts make them, the {@code overlay}
 * driver's layer chains), through {@code losetup} and {@code dmsetup} run without a shell. Each
 * driver names its devices by a pattern of its own, generated from identities it controls and
 * never from user input, and every name is checked against the pattern anyway; every positional
 * name follows {@code --}.
 *
 * <p>Callers serialise changes (one lock per pool): tables refer to each other (a snapshot sits on
 * its origin's device), so they must be built and torn down in order.
 */
public final class DeviceMapper {
    private static final Map<String, String> ENV = Map.of("LC_ALL", "C");

    private final CommandRunner runner;
    private final Path mapperDir;
    private final Pattern names;

    /**
     * @param mapperDir where device nodes appear ({@code /dev/mapper})
     * @param names     the only device names this driver makes (anchored with {@code \A...\z})
     */
    public DeviceMapper(CommandRunner runner, Path mapperDir, Pattern names) {
        this.runner = requireNonNull(runner, "runner");
        this.mapperDir = requireNonNull(mapperDir, "mapperDir");
        this.names = requireNonNull(names, "names");
    }

    /** {@code name}, if it is one this driver makes; otherwise refused (nothing is run with it). */
    public String checkName(String name) {
        if (!names.matcher(name).matches()) {
            throw StorageException.invalidArgument("Refusing device-mapper name " + name);
        }
        return name;
    }

    public Path device(String name) {
        return mapperDir.resolve(checkName(name));
    }

    public boolean exists(String name) {
        return Files.exists(device(name));
    }

    /** Attaches {@code file} to a free loop device (never one already used for it) and returns it. */
    public Path attachLoop(Path file, boolean readOnly) {
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
     * Creates device {@code name} with {@code table}; {@code readOnly}: a read-only table, whose
     * devices (a snapshot's store among them) are opened read-only and never written.
     */
    public void create(String name, String table, boolean readOnly) {
        create(name, readOnly, List.of("--table", table), List.of());
    }

    /**
     * Creates device {@code name} with the table in {@code tableFile}: for tables too long for a
     * command-line argument (the kernel limits one to 128 KiB, {@code MAX_ARG_STRLEN}), such as a
     * {@code linear} map of many extents.
     */
    public void createFromFile(String name, Path tableFile, boolean readOnly) {
        create(name, readOnly, List.of(), List.of(tableFile.toString()));
    }

    /** {@code dmsetup create}: the table is either an option before the name or a file after it. */
    private void create(String name, boolean readOnly, List<String> beforeName, List<String> afterName) {
        List<String> argv = new ArrayList<>(List.of("dmsetup", "create"));
        if (readOnly) {
            argv.add("--readonly");
        }
        argv.addAll(beforeName);
        argv.addAll(List.of("--", checkName(name)));
        argv.addAll(afterName);
        runner.run(new Command(argv, ENV, Command.DEFAULT_TIMEOUT)).requireSuccess("Creating device-mapper device " + name);
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

    /** {@link #reload(String, String)} with the table in {@code tableFile} (see {@link #createFromFile}). */
    public void reloadFromFile(String name, Path tableFile) {
        reload(name, List.of(), List.of(tableFile.toString()));
    }

    /** Replaces a device's table (after a resize) and makes it live. */
    public void reload(String name, String table) {
        reload(name, List.of("--table", table), List.of());
    }

    private void reload(String name, List<String> beforeName, List<String> afterName) {
        List<String> load = new ArrayList<>(List.of("dmsetup", "load"));
        load.addAll(beforeName);
        load.addAll(List.of("--", checkName(name)));
        load.addAll(afterName);
        runner.run(new Command(load, ENV, Command.DEFAULT_TIMEOUT)).requireSuccess("Loading a new table into " + name);
        runner.run(new Command(List.of("dmsetup", "resume", "--", checkName(name)), ENV, Command.DEFAULT_TIMEOUT))
                .requireSuccess("Resuming " + name);
    }

    /**
     * Whether the kernel has device {@code name}, with its node in step: made when missing, dropped
     * when stale. A process killed between {@code dmsetup create} and {@code mknodes} leaves a
     * device without a node; one killed between {@code remove} and {@code mknodes}, a node without
     * a device (where no udev tidies {@code /dev/mapper}).
     */
    public boolean ensureNode(String name) {
        // sysfs, not `dmsetup info`: this runs for every level at every start and stop
        boolean loaded = SysBlock.deviceMapperLoaded(checkName(name));
        if (loaded != exists(name)) {
            syncNode(name);
        }
        return loaded;
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
    public void remove(String name) {
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
    public void detachIfUnused(Path loop) {
        if (!Files.exists(loop) || SysBlock.hasHolders(loop)) {
            return;
        }
        runner.run(new Command(List.of("losetup", "--detach", loop.toString()), ENV, Command.DEFAULT_TIMEOUT))
                .requireSuccess("Detaching " + loop);
    }
}
