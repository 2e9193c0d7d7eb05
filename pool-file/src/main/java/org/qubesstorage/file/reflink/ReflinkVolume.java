package org.qubesstorage.file.reflink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.qubesstorage.support.ImageCopy;
import org.qubesstorage.support.ImportChecks;
import org.qubesstorage.file.ImageFiles;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.linux.LoopDevices;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.spi.AbstractVolume;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Revision;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.StoredData;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeConfig;
import org.qubesstorage.spi.VolumeType;

/**
 * A {@code file-reflink} volume (upstream's {@code ReflinkVolume} in {@code qubes/storage/reflink.py}).
 *
 * <p>The running image is {@code -dirty.img}; stop commits it by renaming it over the clean image,
 * after the clean image became a revision. Every step is a durable rename or a fresh file renamed in
 * place, so a crash at any point leaves either the old committed state or a dirty image that the
 * next start resumes.
 */
final class ReflinkVolume extends AbstractVolume {
    private final ReflinkPool pool;
    private final ImageFiles files;

    ReflinkVolume(ReflinkPool pool, VolumeConfig config, Optional<Volume> source, Path dir, String fileName) {
        super(pool, config, source);
        this.pool = pool;
        this.files = new ImageFiles(dir, fileName);
    }

    ImageFiles files() {
        return files;
    }

    private ReflinkVolume sourceVolume() {
        Volume s = source().orElseThrow();
        if (!(s instanceof ReflinkVolume r)) {
            throw StorageException.invalidArgument("Source of " + vid() + " is not a file-reflink volume");
        }
        return r;
    }

    /**
     * The committed image: the clean one, or after an interrupted commit the newest revision;
     * checked to be a regular file of this pool.
     */
    Optional<Path> committedImage() {
        if (Files.exists(files.clean(), LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of(pool.requireImage(files.clean()));
        }
        List<ImageFiles.RevisionFile> revs = files.revisions();
        return revs.isEmpty() ? Optional.empty() : Optional.of(pool.requireImage(revs.getLast().path()));
    }

    @Override
    public void create() {
        assertLocked();
        if (config().saveOnStop() && !config().snapOnStart() && (Files.exists(files.clean()) || Files.exists(files.dirty()))) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "Volume " + vid() + " already exists at " + files.clean());
        }
        DurableFiles.createDirectories(files.dir());
        removeTransient();
        if (type() == VolumeType.ORIGIN) {
            if (config().size() <= 0) {
                throw StorageException.invalidArgument("Volume " + vid() + " needs a size to be created");
            }
            ImageCopy.createSparse(files.clean(), config().size());
            updatePrecache();
        }
    }

    @Override
    public void remove() {
        assertLocked();
        removeTransient();
        DurableFiles.delete(files.dirty());
        DurableFiles.delete(files.clean());
        for (ImageFiles.RevisionFile r : files.revisions()) {
            DurableFiles.delete(r.path());
        }
        DurableFiles.deleteIfEmpty(files.dir());
        pool.forget(vid());
    }

    @Override
    public void start() {
        assertLocked();
        removeIncomplete();
        DurableFiles.createDirectories(files.dir());
        if (config().snapshotsDisabled()) {
            pruneRevisions(0);
            DurableFiles.delete(files.precache());
            if (!Files.exists(files.dirty())) {
                requireCommitted();
                DurableFiles.rename(committedImage().orElseThrow(), files.dirty());
            }
            return;
        }
        if (isDirty()) {
            // A crash: the domain never stopped. Resume its uncommitted state.
            return;
        }
        switch (type()) {
            case SNAPSHOT -> {
                Path sourceClean = sourceVolume().committedImage().orElseThrow(() -> StorageException.notFound(
                        "Source " + sourceVolume().vid() + " of " + vid() + " has no image"));
                DurableFiles.hardLink(sourceClean, files.clean());
                long size = Math.max(config().size(), ImageCopy.size(sourceClean));
                ImageCopy.copy(files.clean(), files.dirty(), OptionalLong.of(size), false);
            }
            case ORIGIN -> {
                Path clean = requireCommitted();
                removeStalePrecache();
                if (Files.exists(files.precache())) {
                    DurableFiles.rename(files.precache(), files.dirty());
                } else {
                    ImageCopy.copy(clean, files.dirty(), OptionalLong.empty(), false);
                }
            }
            case VOLATILE -> ImageCopy.createSparse(files.dirty(), config().size());
            case ORIGIN_SNAPSHOT -> throw unsupported("snap_on_start together with save_on_stop");
        }
    }

    @Override
    public void stop() {
        assertLocked();
        if (!Files.exists(files.dirty())) {
            return;
        }
        if (config().snapshotsDisabled()) {
            DurableFiles.rename(files.dirty(), files.clean());
            return;
        }
        if (config().saveOnStop()) {
            commit(files.dirty());
            return;
        }
        if (!config().snapOnStart()) {
            updateConfig(config().withSize(ImageCopy.size(files.dirty())));
        }
        DurableFiles.delete(files.dirty());
        DurableFiles.delete(files.clean());
    }

    /**
     * Makes {@code image} the committed state: the old clean image becomes revision N+1, old
     * revisions beyond revisions_to_keep go, and {@code image} is renamed over the clean name. The
     * revision is a hard link to the clean image, not a rename of it, so a clean image exists at
     * every instant: upstream's driver, which cannot recover from a dirty image without a clean
     * one ({@code _add_revision} fails in stop and export), can take over after a kill anywhere.
     * Both steps stay O(1) on every file system.
     */
    private void commit(Path image) {
        int keep = config().revisionsToKeep();
        if (Files.exists(files.clean()) && keep > 0) {
            addRevision();
        }
        pruneRevisions(Math.max(keep, 0));
        DurableFiles.rename(image, files.clean());
        DurableFiles.delete(files.precache());
        updatePrecache();
    }

    private void addRevision() {
        List<ImageFiles.RevisionFile> revs = files.revisions();
        if (!revs.isEmpty() && sameFile(revs.getLast().path(), files.clean())) {
            return; // a commit killed after linking the revision: it is already there
        }
        int next = revs.isEmpty() ? 1 : revs.getLast().number() + 1;
        Instant ts = ImageCopy.mtime(files.clean()).toInstant();
        DurableFiles.hardLink(files.clean(), files.revision(next, ts));
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    private void pruneRevisions(int keep) {
        List<ImageFiles.RevisionFile> revs = files.revisions();
        for (int i = 0; i < revs.size() - keep; i++) {
            DurableFiles.delete(revs.get(i).path());
        }
    }

    /** A reflink of the clean image ready to become the next dirty one; only where it costs nothing. */
    private void updatePrecache() {
        if (type() == VolumeType.ORIGIN && !config().snapshotsDisabled() && pool.reflinkSupported()
                && Files.exists(files.clean())) {
            ImageCopy.copy(files.clean(), files.precache(), OptionalLong.empty(), true);
        }
    }

    /** A precache whose size or mtime differs from the clean image is out of date: remove it. */
    private void removeStalePrecache() {
        Path pre = files.precache();
        if (!Files.exists(pre)) {
            return;
        }
        Path clean = files.clean();
        if (!Files.exists(clean) || ImageCopy.size(pre) != ImageCopy.size(clean)
                || !ImageCopy.mtime(pre).equals(ImageCopy.mtime(clean))) {
            DurableFiles.delete(pre);
        }
    }

    private Path requireCommitted() {
        return committedImage().orElseThrow(() -> StorageException.notFound("Missing image file: " + files.clean()));
    }

    private void removeIncomplete() {
        for (Path p : files.incomplete()) {
            DurableFiles.delete(p);
        }
    }

    private void removeTransient() {
        removeIncomplete();
        DurableFiles.delete(files.precache());
        DurableFiles.delete(files.importing());
    }

    @Override
    public boolean isDirty() {
        return config().saveOnStop() && Files.exists(files.dirty());
    }

    @Override
    public boolean isOutdated() {
        if (!config().snapOnStart() || !Files.exists(files.clean())) {
            return false;
        }
        return sourceVolume().committedImage().map(src -> !ImageCopy.sameFile(src, files.clean())).orElse(true);
    }

    @Override
    public List<Revision> revisions() {
        List<Revision> out = new ArrayList<>();
        for (ImageFiles.RevisionFile r : files.revisions()) {
            out.add(new Revision(Integer.toString(r.number()), r.timestamp()));
        }
        return out;
    }

    @Override
    public void revert(String revisionId) {
        assertLocked();
        if (isDirty()) {
            throw StorageException.dirty("Cannot revert: " + vid() + " is not cleanly stopped");
        }
        ImageFiles.RevisionFile rev = files.revision(revisionId).orElseThrow(() -> StorageException.notFound(
                "Volume " + vid() + " has no revision " + revisionId));
        if (Files.exists(files.clean()) && config().revisionsToKeep() != 0) {
            addRevision();
        }
        DurableFiles.rename(rev.path(), files.clean());
        DurableFiles.delete(files.precache());
        updatePrecache();
        updateConfig(config().withSize(ImageCopy.size(files.clean())));
    }

    @Override
    public void resize(long newSize) {
        assertLocked();
        if (!config().rw()) {
            throw StorageException.invalidArgument("Can not resize readonly volume " + vid());
        }
        if (newSize <= 0) {
            throw StorageException.invalidArgument("Size of " + vid() + " must be positive, not " + newSize);
        }
        if (Files.exists(files.dirty())) {
            try (NativeFile f = NativeFile.openReadWrite(files.dirty())) {
                f.truncate(newSize);
                f.fsync();
            }
            LoopDevices.refreshCapacity(files.dirty());
        }
        if (!Files.exists(files.dirty()) && type() == VolumeType.ORIGIN && Files.exists(files.clean())) {
            // A copy, not a truncate in place: snapshot volumes may share the clean image's inode.
            ImageCopy.copy(files.clean(), files.clean(), OptionalLong.of(newSize), false);
            DurableFiles.delete(files.precache());
            updatePrecache();
        }
        updateConfig(config().withSize(newSize));
    }

    @Override
    public Path export() {
        if (!config().saveOnStop()) {
            throw unsupported("export of a volume without save_on_stop");
        }
        if (config().snapshotsDisabled() && Files.exists(files.dirty())) {
            throw StorageException.busy("Cannot export " + vid() + " while it runs: it has snapshots disabled");
        }
        return requireCommitted();
    }

    @Override
    public Path importData(long size) {
        assertLocked();
        ImportChecks.beforeImportData(this, size);
        DurableFiles.createDirectories(files.dir());
        ImageCopy.createSparse(files.importing(), size);
        return files.importing();
    }

    @Override
    public void importDataEnd(boolean success) {
        assertLocked();
        if (!Files.exists(files.importing())) {
            throw StorageException.notFound("No import operation in progress on " + vid());
        }
        if (!success) {
            DurableFiles.delete(files.importing());
            return;
        }
        DurableFiles.fsyncFile(files.importing());
        long size = ImageCopy.size(files.importing());
        commit(files.importing());
        updateConfig(config().withSize(size));
    }

    @Override
    public void importVolume(Volume src) {
        assertLocked();
        if (!ImportChecks.beforeImportVolume(this)) {
            return; // snapshot and volatile volumes carry no data of their own (as upstream)
        }
        Path exported = src.export();
        try {
            DurableFiles.createDirectories(files.dir());
            ImageCopy.copy(exported, files.importing(), OptionalLong.of(src.size()), false);
        } catch (RuntimeException e) {
            DurableFiles.delete(files.importing());
            throw e;
        } finally {
            src.exportEnd(exported);
        }
        commit(files.importing());
        updateConfig(config().withSize(src.size()));
    }

    @Override
    public void verify() {
        switch (type()) {
            case VOLATILE -> { }
            case SNAPSHOT -> sourceVolume().verify();
            default -> {
                if (Files.exists(files.dirty(), LinkOption.NOFOLLOW_LINKS)) {
                    pool.requireImage(files.dirty());
                } else {
                    requireCommitted();
                }
            }
        }
    }

    @Override
    public Optional<BlockDevice> blockDevice() {
        return Optional.of(BlockDevice.disk(files.dirty(), name(), config().rw()));
    }

    @Override
    public long size() {
        for (Path p : List.of(files.dirty(), files.clean())) {
            if (Files.exists(p)) {
                return ImageCopy.size(p);
            }
        }
        return config().size();
    }

    /** The files holding this volume's data now: running, clean and precached images and revisions. */
    List<Path> storedFiles() {
        List<Path> out = new ArrayList<>();
        for (Path p : List.of(files.dirty(), files.clean(), files.precache())) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                out.add(pool.requireImage(p));
            }
        }
        files.revisions().forEach(r -> out.add(pool.requireImage(r.path())));
        return out;
    }

    /**
     * The clean image, its precached reflink and the revisions: {@link #storedFiles()} of a stopped
     * volume. A dirty image means the volume runs (or crashed and its next start resumes it):
     * deduplicating its committed files then would only race its stop.
     */
    @Override
    public List<Path> dedupFiles() {
        if (!pool.capabilities().contains(Capability.DEDUPLICATION)) {
            throw StorageException.notSupported(pool.driverName(), "deduplication (the file system cannot share extents)");
        }
        return stoppedFiles();
    }

    /** {@link #dedupFiles()}'s files, each mapped by the reader; also where extents cannot be shared. */
    @Override
    public List<StoredData> storedData() {
        return stoppedFiles().stream().map(StoredData::wholeFile).toList();
    }

    private List<Path> stoppedFiles() {
        if (Files.exists(files.dirty(), LinkOption.NOFOLLOW_LINKS)) {
            throw StorageException.busy(vid() + " is running or was not stopped cleanly (" + files.dirty().getFileName() + " exists)");
        }
        return storedFiles();
    }

    @Override
    public OptionalLong usage() {
        for (Path p : List.of(files.dirty(), files.clean())) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return OptionalLong.of(pool.allocated(p));
            }
        }
        return OptionalLong.of(0);
    }

    @Override
    public VolumeConfig config() {
        return super.config();
    }
}
