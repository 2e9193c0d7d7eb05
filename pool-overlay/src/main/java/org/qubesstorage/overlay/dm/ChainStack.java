package org.qubesstorage.overlay.dm;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.linux.LoopDevices;
import org.qubesstorage.overlay.cow.ChainSegments;
import org.qubesstorage.overlay.cow.CowGeometry;
import org.qubesstorage.overlay.cow.CowStore;
import org.qubesstorage.spi.StorageException;

/**
 * Builds and tears down the device stack of one running chain. With committed layers under the
 * run, a read-only {@code linear} device ({@code qov-<stack>-map}) maps the chain's committed view:
 * each extent to the base image's or a layer store's loop device where it lies
 * ({@link ChainSegments}); on it, a writable {@code snapshot} ({@code qov-<stack>-run}) whose store
 * is the run's session layer receives every write. Without committed layers the snapshot sits on
 * the base image's loop device. The top device is what the domain gets.
 *
 * <p>Committed files are attached read-only and never written, so any number of runs may map
 * them at once (two running branches of one template); {@code DeviceMapper.attachLoop} shares a
 * file's existing loop device. The map is computed when the stack is built: committed layers never
 * change. What a crashed run left is found by the two names. The caller holds the volume's lock
 * and the pool's stacking lock.
 */
public final class ChainStack {
    /** Every device this driver makes: {@code qov-}, 16 hex digits naming a stack, {@code -map} or {@code -run}. */
    public static final Pattern NAMES = Pattern.compile("\\Aqov-[0-9a-f]{16}-(map|run)\\z");
    private static final Pattern ID = Pattern.compile("\\A[0-9a-f]{16}\\z");

    private final DeviceMapper dm;
    private final String mapName;
    private final String runName;

    /**
     * An id for a stack: the first 64 bits of the SHA-256 of {@code key}, which names what it
     * stands for (a pool's directory and a volume) so that names from two pools never meet.
     */
    public static String id(String key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** @param stack the stack's id, 16 hex digits (the driver derives it from the volume) */
    public ChainStack(DeviceMapper dm, String stack) {
        this.dm = requireNonNull(dm, "dm");
        if (!ID.matcher(stack).matches()) {
            throw StorageException.invalidArgument("Refusing device stack id " + stack);
        }
        this.mapName = dm.checkName("qov-" + stack + "-map");
        this.runName = dm.checkName("qov-" + stack + "-run");
    }

    /**
     * Builds the stack and returns the top device.
     *
     * @param base      the bottom image
     * @param committed the committed layers' stores, bottom to top (none: a base volume run with a session)
     * @param session   the store that receives the run's writes
     * @param bytes     the volume's size (a multiple of 512)
     * @param geometry  the chunk size of every layer of the chain
     * @throws StorageException when a step fails; what this call built is removed first
     */
    public Path build(Path base, List<Path> committed, Path session, long bytes, CowGeometry geometry) {
        if (bytes % 512 != 0) {
            throw StorageException.invalidArgument("A volume's size is a whole number of sectors, not " + bytes + " bytes");
        }
        if (dm.ensureNode(runName)) {
            throw StorageException.invalidArgument("The chain's run device " + runName + " exists already: stop it first");
        }
        long sectors = bytes / 512;
        try {
            Path below = dm.attachLoop(base, true);
            if (dm.ensureNode(mapName)) {
                dm.remove(mapName); // a start killed after the map: it is made again from the files
            }
            if (needsMap(base, committed, sectors)) {
                loadMap(base, below, committed, sectors, geometry, false);
                below = dm.device(mapName);
            }
            dm.create(runName, DeviceMapper.snapshotTable(sectors, below, dm.attachLoop(session, false), geometry.chunkSectors()));
            return dm.device(runName);
        } catch (RuntimeException e) {
            try {
                tearDown(base, committed, session);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * Grows the running stack to {@code bytes}: the session's store gets room for the larger
     * origin, the map is made or reloaded with the new end (zeros past the base and the layers),
     * and the run's snapshot is reloaded on it at the new size (the kernel hands the session's
     * exceptions over to the new table). The caller holds the volume's lock and the pool's lock.
     */
    public void grow(Path base, List<Path> committed, Path session, long bytes, CowGeometry geometry) {
        if (bytes % 512 != 0) {
            throw StorageException.invalidArgument("A volume's size is a whole number of sectors, not " + bytes + " bytes");
        }
        Path top = top().orElseThrow(() -> StorageException.invalidArgument("The chain's run device " + runName + " does not exist"));
        long sectors = bytes / 512;
        try (RandomAccessFile f = new RandomAccessFile(session.toFile(), "rw")) {
            long capacity = geometry.capacityBytes(bytes);
            if (f.length() < capacity) {
                f.setLength(capacity);
            }
            f.getFD().sync();
        } catch (IOException e) {
            throw StorageException.backend("Cannot grow the session store " + session + ": " + e.getMessage(), e);
        }
        LoopDevices.refreshCapacity(session);
        Path baseDevice = dm.attachLoop(base, true);
        loadMap(base, baseDevice, committed, sectors, geometry, dm.ensureNode(mapName));
        Path sessionDevice = LoopDevices.backedBy(session).stream().findFirst()
                .orElseThrow(() -> StorageException.backend("The session store " + session + " of " + top + " has no loop device", null));
        dm.reload(runName, DeviceMapper.snapshotTable(sectors, dm.device(mapName), sessionDevice, geometry.chunkSectors()));
    }

    /** Whether the committed view needs a map: layers over the base, or a base shorter than the volume (it grew). */
    private static boolean needsMap(Path base, List<Path> committed, long sectors) {
        return !committed.isEmpty() || sectorsOf(base) < sectors;
    }

    private void loadMap(Path base, Path baseDevice, List<Path> committed, long sectors, CowGeometry geometry, boolean reload) {
        List<Path> devices = new ArrayList<>();
        for (Path layer : committed) {
            devices.add(dm.attachLoop(layer, true));
        }
        String table = mapTable(baseDevice, sectorsOf(base), committed, devices, sectors, geometry);
        if (reload) {
            dm.reload(mapName, table);
        } else {
            dm.create(mapName, table, true);
        }
    }

    /** The {@code linear} table of the committed view: one line per segment, in sectors. */
    static String mapTable(Path baseDevice, long baseSectors, List<Path> layers, List<Path> layerDevices, long sectors,
                           CowGeometry geometry) {
        List<CowStore> stores = new ArrayList<>();
        try {
            for (Path layer : layers) {
                stores.add(CowStore.open(layer, false));
            }
            long cs = geometry.chunkSectors();
            StringBuilder table = new StringBuilder();
            for (ChainSegments.Segment s : ChainSegments.compose(geometry.originChunks(sectors * 512), stores)) {
                long start = s.firstChunk() * cs;
                long end = Math.min(start + s.chunks() * cs, sectors);
                if (s.level() != ChainSegments.BASE) {
                    linear(table, start, end, layerDevices.get(s.level()), s.sourceChunk() * cs);
                    continue;
                }
                // Past the base's end (the volume grew over it) the view reads zeros.
                long split = Math.clamp(baseSectors, start, end);
                linear(table, start, split, baseDevice, start);
                if (split < end) {
                    table.append(split).append(' ').append(end - split).append(" zero\n");
                }
            }
            return table.toString();
        } finally {
            stores.forEach(CowStore::close);
        }
    }

    private static void linear(StringBuilder table, long start, long end, Path device, long offset) {
        if (end > start) {
            table.append(start).append(' ').append(end - start).append(" linear ").append(device).append(' ').append(offset).append('\n');
        }
    }

    /** Whole sectors of {@code file}, as a loop device on it has them. */
    private static long sectorsOf(Path file) {
        try {
            return Files.size(file) / 512;
        } catch (IOException e) {
            throw StorageException.backend("Cannot read the size of " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the run's device, then the map, then the loop devices of these files nothing uses
     * any more. Idempotent: after a crash it removes what the run left.
     */
    public void tearDown(Path base, List<Path> committed, Path session) {
        for (String name : List.of(runName, mapName)) {
            if (dm.ensureNode(name)) {
                dm.remove(name);
            }
        }
        List<Path> files = new ArrayList<>(List.of(session));
        files.addAll(committed.reversed());
        files.add(base);
        for (Path f : files) {
            LoopDevices.backedBy(f).forEach(dm::detachIfUnused);
        }
    }

    /** The top device, if the run's level exists (its node made, if a killed start left it without one). */
    public Optional<Path> top() {
        return dm.ensureNode(runName) ? Optional.of(dm.device(runName)) : Optional.empty();
    }
}
