package org.qubesstorage.overlay.dm;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
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
import org.qubesstorage.linux.SysBlock;
import org.qubesstorage.overlay.cow.CowGeometry;
import org.qubesstorage.spi.StorageException;

/**
 * Builds and tears down the device stack of one running chain: the base image on a read-only loop
 * device; over it, for each committed layer, a read-only {@code snapshot} whose store is that layer
 * (a committed layer is a revision other volumes may sit on: the kernel must never write it); on
 * top, a writable {@code snapshot} whose store is the run's session layer, which receives every
 * write. The top device is what the domain gets.
 *
 * <p>A committed layer's device is shared: the kernel lets one store back one snapshot only (a
 * second table naming the same store fails to resume with EINVAL), so two running branches of one
 * template use the template's level, named by the layer ({@code qov-<layer>}), and it goes away
 * with the last stack on it. A run's level is named by its stack ({@code qov-<stack>-run}). Loop
 * devices come from {@code losetup --nooverlap}, which shares a file's existing loop device. What a
 * crashed run left is found by these names. The caller holds the volume's lock and the pool's
 * stacking lock (tables refer to each other).
 */
public final class ChainStack {
    /** Every device this driver makes: {@code qov-}, 16 hex digits naming a layer or a stack, {@code -run} for a run's level. */
    public static final Pattern NAMES = Pattern.compile("\\Aqov-[0-9a-f]{16}(-run)?\\z");
    private static final Pattern ID = Pattern.compile("\\A[0-9a-f]{16}\\z");

    /** A committed layer in a chain: its id (16 hex digits, fixed for the layer's life) and its store. */
    public record Level(String id, Path store) {
        public Level {
            if (!ID.matcher(id).matches()) {
                throw StorageException.invalidArgument("Refusing layer id " + id);
            }
            requireNonNull(store, "store");
        }
    }

    private final DeviceMapper dm;
    private final String runName;

    /**
     * An id for a stack or a level: the first 64 bits of the SHA-256 of {@code key}, which names
     * what it stands for (a pool's directory and a volume or a revision) so that names from two
     * pools never meet.
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
        this.runName = dm.checkName("qov-" + stack + "-run");
    }

    /**
     * Builds the stack and returns the top device. Levels of committed layers that exist already
     * (another running branch on them) are used as they are.
     *
     * @param base      the bottom image
     * @param committed the committed layers, bottom to top (none: a base volume run with a session)
     * @param session   the store that receives the run's writes
     * @param bytes     the volume's size (a multiple of 512)
     * @param geometry  the chunk size of every layer of the chain
     * @throws StorageException when a step fails; what this call built is removed first
     */
    public Path build(Path base, List<Level> committed, Path session, long bytes, CowGeometry geometry) {
        if (bytes % 512 != 0) {
            throw StorageException.invalidArgument("A volume's size is a whole number of sectors, not " + bytes + " bytes");
        }
        if (dm.ensureNode(runName)) {
            throw StorageException.invalidArgument("The chain's run device " + runName + " exists already: stop it first");
        }
        long sectors = bytes / 512;
        try {
            Path below = dm.attachLoop(base, true);
            for (Level level : committed) {
                String name = levelName(level);
                if (!dm.ensureNode(name)) {
                    dm.create(name, DeviceMapper.snapshotTable(sectors, below, dm.attachLoop(level.store(), true),
                            geometry.chunkSectors()), true);
                }
                below = dm.device(name);
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
     * Removes the run's level, then each committed level from the top down that no other device
     * sits on any more, then the loop devices of these files nothing uses. Idempotent: after a
     * crash it removes what the run left.
     */
    public void tearDown(Path base, List<Level> committed, Path session) {
        if (dm.ensureNode(runName)) {
            dm.remove(runName);
        }
        for (Level level : committed.reversed()) {
            String name = levelName(level);
            if (dm.ensureNode(name) && !SysBlock.hasHolders(dm.device(name))) {
                dm.remove(name);
            }
        }
        List<Path> files = new ArrayList<>(List.of(session));
        committed.reversed().forEach(l -> files.add(l.store()));
        files.add(base);
        for (Path f : files) {
            LoopDevices.backedBy(f).forEach(dm::detachIfUnused);
        }
    }

    /** The top device, if the run's level exists (its node made, if a killed start left it without one). */
    public Optional<Path> top() {
        return dm.ensureNode(runName) ? Optional.of(dm.device(runName)) : Optional.empty();
    }

    private String levelName(Level level) {
        return dm.checkName("qov-" + level.id());
    }
}
