package org.qubesstorage.file.legacy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.qubesstorage.support.ImageCopy;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.linux.LoopDevices;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.linux.SysBlock;
import org.qubesstorage.spi.AbstractVolume;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Revision;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeConfig;
import org.qubesstorage.spi.VolumeType;

/**
 * A {@code file} volume (upstream's {@code FileVolume} in {@code qubes/storage/file.py}).
 *
 * <p>An origin volume runs as a {@code snapshot-origin} over its image, so the domain writes the
 * image itself while the blocks it overwrites are first saved in {@code -cow.img}: the image is
 * always the newest state and the COW file holds the pre-start state. Stop "commits" by keeping that
 * COW file as the one revision ({@code -cow.img.old}) and starting an empty one. A crash leaves a
 * COW file with exceptions (dirty), which the next start simply keeps using.
 *
 * <table>
 *   <caption>Block device per type</caption>
 *   <tr><th>type</th><th>device</th></tr>
 *   <tr><td>origin</td><td>{@code /dev/mapper/origin-<img id>} over loop(img), with
 *       {@code snapshot-<img id>-<cow id>} = snapshot(loop(img), loop(cow))</td></tr>
 *   <tr><td>snapshot</td><td>{@code /dev/mapper/snapshot-<src img id>-<src cow id>-<cow id>} =
 *       snapshot(the source's snapshot device, loop(own cow))</td></tr>
 *   <tr><td>volatile, or snapshots disabled</td><td>the image file itself</td></tr>
 * </table>
 */
final class FileVolume extends AbstractVolume {
    /** dm-snapshot chunk size in 512-byte sectors (128 KiB), as upstream. */
    static final int CHUNK_SECTORS = 256;
    private final FilePool pool;
    private final Path dir;
    private final String file;
    private final AtomicInteger exports = new AtomicInteger();
    private volatile boolean running;
    /**
     * What start built, so stop tears down exactly that even after the names it was built from
     * changed (a template's commit replaces the COW file an AppVM's stack was named after). After a
     * restart of the host it is rebuilt from what is on disk ({@link #stackOnDisk()}).
     *
     * @param device    the device handed to the domain
     * @param companion the snapshot device under it (the origin's own, or the source's)
     * @param loops     the loop devices the stack uses
     */
    private record Stack(String device, String companion, List<Path> loops) {}

    private volatile Stack stack;

    FileVolume(FilePool pool, VolumeConfig config, Optional<Volume> source, Path dir, String file) {
        super(pool, config, source);
        this.pool = pool;
        this.dir = dir;
        this.file = file;
    }

    Path image() {
        return dir.resolve(file + ".img");
    }

    Path cow() {
        return dir.resolve(file + "-cow.img");
    }

    Path oldCow() {
        return dir.resolve(file + "-cow.img.old");
    }

    Path importing() {
        return dir.resolve(file + "-import.img");
    }

    private FileVolume sourceVolume() {
        if (!(source().orElseThrow() instanceof FileVolume f)) {
            throw StorageException.invalidArgument("Source of " + vid() + " is not a file volume");
        }
        return f;
    }

    /** The image a snapshot reads: the source's image and COW (always the source's own files). */
    String originName() {
        return "origin-" + FileIdentity.of(image());
    }

    String snapshotName() {
        return "snapshot-" + FileIdentity.of(image()) + "-" + FileIdentity.of(cow());
    }

    private String stackedName() {
        return sourceVolume().snapshotName() + "-" + FileIdentity.of(cow());
    }

    private boolean usesDeviceMapper() {
        return type() != VolumeType.VOLATILE && !config().snapshotsDisabled();
    }

    @Override
    public void create() {
        assertLocked();
        if (config().size() <= 0) {
            throw StorageException.invalidArgument("Volume " + vid() + " needs a positive size");
        }
        if (config().snapOnStart()) {
            return;
        }
        if (Files.exists(image())) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "Volume " + vid() + " already exists at " + image());
        }
        DurableFiles.createDirectories(dir);
        ImageCopy.createSparse(image(), config().size());
    }

    @Override
    public void remove() {
        assertLocked();
        if (running) {
            stop();
        }
        for (Path p : List.of(cow(), oldCow(), importing())) {
            DurableFiles.delete(p);
        }
        if (!config().snapOnStart()) {
            DurableFiles.delete(image());
        }
        pool.forget(vid());
    }

    @Override
    public void start() {
        assertLocked();
        if (exports.get() > 0) {
            throw StorageException.busy("file pool cannot start a VM with an exported volume (" + vid() + ")");
        }
        DurableFiles.createDirectories(dir);
        switch (type()) {
            case VOLATILE -> {
                DurableFiles.delete(image());
                ImageCopy.createSparse(image(), config().size());
            }
            case SNAPSHOT -> startSnapshot();
            case ORIGIN -> startOrigin();
            case ORIGIN_SNAPSHOT -> throw unsupported("snap_on_start together with save_on_stop");
        }
        running = true;
    }

    private void startOrigin() {
        if (!Files.exists(image())) {
            throw StorageException.notFound("Missing image file: " + image());
        }
        pool.requireImage(image());
        if (config().snapshotsDisabled()) {
            return;
        }
        if (!Files.exists(cow())) {
            ImageCopy.createSparse(cow(), config().size());
        }
        pool.dmLock().lock();
        try {
            long sectors = ImageCopy.size(image()) / 512;
            Path imgLoop = loopFor(image(), false);
            Path cowLoop = loopFor(cow(), false);
            Stack built = new Stack(originName(), snapshotName(), List.of(imgLoop, cowLoop));
            try {
                if (!pool.dm().exists(built.companion())) {
                    pool.dm().create(built.companion(), DeviceMapper.snapshotTable(sectors, imgLoop, cowLoop, CHUNK_SECTORS));
                }
                if (!pool.dm().exists(built.device())) {
                    pool.dm().create(built.device(), DeviceMapper.originTable(sectors, imgLoop));
                }
            } catch (StorageException e) {
                tearDown(built, true);
                throw e;
            }
            stack = built;
        } finally {
            pool.dmLock().unlock();
        }
    }

    private void startSnapshot() {
        FileVolume src = sourceVolume();
        if (!Files.exists(src.image())) {
            throw StorageException.notFound("Missing image file: " + src.image());
        }
        DurableFiles.delete(cow());
        ImageCopy.createSparse(cow(), config().size());
        pool.dmLock().lock();
        try {
            if (!Files.exists(src.cow())) {
                ImageCopy.createSparse(src.cow(), src.config().size());
            }
            long sectors = ImageCopy.size(src.image()) / 512;
            Path srcImgLoop = loopFor(src.image(), false);
            Path srcCowLoop = loopFor(src.cow(), false);
            if (!pool.dm().exists(src.snapshotName())) {
                pool.dm().create(src.snapshotName(), DeviceMapper.snapshotTable(sectors, srcImgLoop, srcCowLoop, CHUNK_SECTORS));
            }
            Path ownCowLoop = loopFor(cow(), false);
            pool.dm().create(stackedName(), DeviceMapper.snapshotTable(sectors, pool.dm().device(src.snapshotName()), ownCowLoop, CHUNK_SECTORS));
            stack = new Stack(stackedName(), src.snapshotName(), List.of(ownCowLoop, srcCowLoop, srcImgLoop));
        } finally {
            pool.dmLock().unlock();
        }
    }

    /**
     * The loop device already backing {@code file}, or a new one (an origin and its snapshots must
     * share it): {@code attachLoop} looks for the existing one itself.
     */
    private Path loopFor(Path f, boolean readOnly) {
        return pool.dm().attachLoop(f, readOnly);
    }

    @Override
    public void stop() {
        assertLocked();
        switch (type()) {
            case VOLATILE -> DurableFiles.delete(image());
            case SNAPSHOT -> stopSnapshot();
            case ORIGIN -> stopOrigin();
            case ORIGIN_SNAPSHOT -> throw unsupported("snap_on_start together with save_on_stop");
        }
        running = false;
    }

    private void stopOrigin() {
        if (config().snapshotsDisabled() || !Files.exists(image())) {
            return;
        }
        if (Files.exists(cow())) {
            pool.dmLock().lock();
            try {
                tearDown(stack != null ? stack : stackOnDisk(), true);
                stack = null;
            } finally {
                pool.dmLock().unlock();
            }
        }
        if (config().rw()) {
            commit();
        } else {
            DurableFiles.delete(cow());
        }
    }

    /** The pre-start state becomes the one revision; an empty COW file starts the next run. */
    private void commit() {
        if (Files.exists(cow())) {
            if (config().revisionsToKeep() > 0) {
                DurableFiles.rename(cow(), oldCow());
            } else {
                DurableFiles.delete(cow());
            }
        }
        ImageCopy.createSparse(cow(), ImageCopy.size(image()));
    }

    private void stopSnapshot() {
        if (stack == null && !Files.exists(cow())) {
            return; // never started
        }
        pool.dmLock().lock();
        try {
            tearDown(stack != null ? stack : stackOnDisk(), !pool.dm().exists(sourceVolume().originName()));
            stack = null;
        } finally {
            pool.dmLock().unlock();
        }
        DurableFiles.delete(cow());
    }

    /**
     * The stack this volume's files imply, for a volume started by an earlier process: device names
     * from the files' identities, loop devices from sysfs.
     */
    private Stack stackOnDisk() {
        List<Path> loops = new ArrayList<>(LoopDevices.backedBy(cow()));
        if (type() == VolumeType.SNAPSHOT) {
            FileVolume src = sourceVolume();
            loops.addAll(LoopDevices.backedBy(src.cow()));
            loops.addAll(LoopDevices.backedBy(src.image()));
            return new Stack(stackedName(), src.snapshotName(), loops);
        }
        loops.addAll(0, LoopDevices.backedBy(image()));
        return new Stack(originName(), snapshotName(), loops);
    }

    /**
     * Removes the stack start built: its device, then its companion snapshot device when nothing
     * else sits on it (and {@code companionRemovable}), then every loop device nothing holds.
     */
    private void tearDown(Stack built, boolean companionRemovable) {
        pool.dm().remove(built.device());
        if (companionRemovable && pool.dm().exists(built.companion())
                && !SysBlock.hasHolders(pool.dm().device(built.companion()))) {
            pool.dm().remove(built.companion());
        }
        for (Path loop : built.loops()) {
            pool.dm().detachIfUnused(loop);
        }
    }

    @Override
    public boolean isDirty() {
        return config().saveOnStop() && !config().snapshotsDisabled() && SnapshotHeader.hasExceptions(cow());
    }

    /**
     * A running snapshot is outdated once its source committed: the source's COW file was replaced,
     * so the source snapshot device it stacks on is no longer the source's current one. (Upstream's
     * file driver never reports outdated volumes.)
     */
    @Override
    public boolean isOutdated() {
        Stack built = stack;
        if (!config().snapOnStart() || built == null) {
            return false;
        }
        try {
            return !built.companion().equals(sourceVolume().snapshotName());
        } catch (StorageException e) {
            return true; // the source's files are gone or replaced
        }
    }

    @Override
    public List<Revision> revisions() {
        if (!Files.exists(oldCow())) {
            return List.of();
        }
        try {
            Instant ctime = ((java.nio.file.attribute.FileTime) Files.getAttribute(oldCow(), "unix:ctime")).toInstant();
            return List.of(new Revision("old", ctime));
        } catch (IOException e) {
            throw StorageException.backend("Cannot stat " + oldCow() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Path export() {
        if (!config().saveOnStop()) {
            throw unsupported("export of a volume without save_on_stop");
        }
        if (running || (usesDeviceMapper() && safeExists(this::originName))) {
            throw StorageException.busy("file pool cannot export running volumes (" + vid() + ")");
        }
        if (isDirty()) {
            throw StorageException.dirty("file pool cannot export dirty volumes (" + vid() + ")");
        }
        if (!Files.exists(image())) {
            throw StorageException.notFound("Missing image file: " + image());
        }
        pool.requireImage(image());
        exports.incrementAndGet();
        return image();
    }

    private boolean safeExists(java.util.function.Supplier<String> name) {
        try {
            return pool.dm().exists(name.get());
        } catch (StorageException e) {
            return false;
        }
    }

    @Override
    public void exportEnd(Path exported) {
        exports.updateAndGet(n -> Math.max(0, n - 1));
    }

    @Override
    public Path importData(long size) {
        assertLocked();
        if (!config().saveOnStop()) {
            throw unsupported("import into save_on_stop=False volume " + vid());
        }
        if (running || isDirty()) {
            throw StorageException.dirty("Cannot import data to dirty volume " + vid() + ", stop the qube first");
        }
        DurableFiles.createDirectories(dir);
        ImageCopy.createSparse(importing(), size);
        return importing();
    }

    @Override
    public void importDataEnd(boolean success) {
        assertLocked();
        if (!Files.exists(importing())) {
            throw StorageException.notFound("No import operation in progress on " + vid());
        }
        if (success) {
            DurableFiles.fsyncFile(importing());
            DurableFiles.rename(importing(), image());
            updateConfig(config().withSize(ImageCopy.size(image())));
        } else {
            DurableFiles.delete(importing());
        }
    }

    @Override
    public void importVolume(Volume src) {
        assertLocked();
        if (src.config().snapOnStart()) {
            throw StorageException.invalidArgument("Can not import snapshot volume " + src.vid() + " in to " + vid());
        }
        if (!config().saveOnStop()) {
            return;
        }
        if (running || isDirty()) {
            throw StorageException.dirty("Cannot import to dirty volume " + vid() + " - start and stop a qube to cleanup");
        }
        Path exported = src.export();
        try {
            DurableFiles.createDirectories(dir);
            ImageCopy.copy(exported, importing(), OptionalLong.of(src.size()), false);
        } catch (RuntimeException e) {
            DurableFiles.delete(importing());
            throw e;
        } finally {
            src.exportEnd(exported);
        }
        DurableFiles.rename(importing(), image());
        updateConfig(config().withSize(src.size()));
    }

    @Override
    public void resize(long newSize) {
        assertLocked();
        if (!config().rw()) {
            throw StorageException.invalidArgument("Can not resize readonly volume " + vid());
        }
        if (config().snapOnStart()) {
            throw StorageException.invalidArgument("Cannot resize volume based on a template - resize the template instead");
        }
        if (newSize <= 0) {
            throw StorageException.invalidArgument("Size of " + vid() + " must be positive, not " + newSize);
        }
        if (Files.exists(image())) {
            try (NativeFile f = NativeFile.openReadWrite(image())) {
                f.truncate(newSize);
                f.fsync();
            }
            LoopDevices.refreshCapacity(image());
            if (type() == VolumeType.ORIGIN && usesDeviceMapper() && safeExists(this::originName)) {
                pool.dmLock().lock();
                try {
                    Path loop = stack != null ? stack.loops().getFirst() : LoopDevices.backedBy(image()).getFirst();
                    pool.dm().reload(originName(), DeviceMapper.originTable(newSize / 512, loop));
                } finally {
                    pool.dmLock().unlock();
                }
            }
        }
        updateConfig(config().withSize(newSize));
    }

    @Override
    public void verify() {
        switch (type()) {
            case VOLATILE -> { }
            case SNAPSHOT -> sourceVolume().verify();
            default -> {
                if (!Files.exists(image())) {
                    throw StorageException.notFound("Missing image file: " + image());
                }
                pool.requireImage(image());
            }
        }
    }

    @Override
    public Optional<BlockDevice> blockDevice() {
        Path path = switch (type()) {
            case VOLATILE -> image();
            case ORIGIN -> config().snapshotsDisabled() || !Files.exists(image()) ? image() : pool.dm().device(originName());
            case SNAPSHOT -> stack != null ? pool.dm().device(stack.device())
                    : Files.exists(cow()) ? pool.dm().device(stackedName()) : sourceVolume().image();
            case ORIGIN_SNAPSHOT -> image();
        };
        return Optional.of(BlockDevice.disk(path, name(), config().rw()));
    }

    @Override
    public long size() {
        Path img = config().snapOnStart() ? sourceVolume().image() : image();
        return Files.exists(img) ? ImageCopy.size(img) : config().size();
    }

    /** The files holding this volume's own data now: a snapshot volume's cow, an origin's image and cows. */
    List<Path> storedFiles() {
        List<Path> out = new ArrayList<>();
        for (Path p : config().snapOnStart() ? List.of(cow()) : List.of(image(), cow(), oldCow())) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                out.add(pool.requireImage(p));
            }
        }
        return out;
    }

    @Override
    public OptionalLong usage() {
        long total = 0;
        for (Path p : config().snapOnStart() ? List.of(cow()) : List.of(image(), cow())) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                total += pool.allocated(p);
            }
        }
        return OptionalLong.of(total);
    }

    @Override
    public void setRevisionsToKeep(int n) {
        FilePool.checkRevisions(n);
        super.setRevisionsToKeep(n);
    }
}
