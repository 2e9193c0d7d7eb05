package org.qubesstorage.overlay;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.overlay.catalog.Catalog;
import org.qubesstorage.overlay.catalog.RevisionRef;
import org.qubesstorage.overlay.catalog.StoredRevision;
import org.qubesstorage.overlay.catalog.VolumeDir;
import org.qubesstorage.overlay.cow.CowGeometry;
import org.qubesstorage.overlay.cow.CowStore;
import org.qubesstorage.overlay.cow.LayerChain;
import org.qubesstorage.overlay.dm.ChainStack;
import org.qubesstorage.spi.AbstractVolume;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Layer;
import org.qubesstorage.spi.Revision;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.StoredData;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeConfig;
import org.qubesstorage.spi.VolumeType;
import org.qubesstorage.support.ImageCopy;
import org.qubesstorage.support.ImportChecks;

/**
 * An {@code overlay} volume. Its committed states are revisions in its directory: a base image, or
 * a layer over an immutable revision of a volume of the pool (a clone's source, or its own first
 * image). A run writes into a session layer on top of the chain ({@code run.cow}); stop folds the
 * session into the volume's layer as the next revision, so a commit reads and writes the volume's
 * own changes only, never its parent's data. The previous revision is kept for revert, and a
 * revision another volume sits on is kept until nothing does.
 *
 * <p>Every change lands by a durable rename (see {@link VolumeDir}); a crash leaves the last
 * committed revision and, while running, the session, which the next start resumes and the next
 * stop commits.
 */
final class OverlayVolume extends AbstractVolume {
    private static final CowGeometry GEOMETRY = CowGeometry.DEFAULT;
    private final OverlayPool pool;
    private final VolumeDir files;

    OverlayVolume(OverlayPool pool, VolumeConfig config, Optional<Volume> source, VolumeDir files) {
        super(pool, config, source);
        this.pool = pool;
        this.files = files;
    }

    // ---- life cycle ----------------------------------------------------------------------------

    @Override
    public void create() {
        assertLocked();
        if (type() == VolumeType.ORIGIN && (current().isPresent() || Files.exists(files.session()))) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "Volume " + vid() + " already exists in " + files.dir());
        }
        DurableFiles.createDirectories(files.dir());
        removeIncomplete();
        if (type() == VolumeType.ORIGIN) {
            if (config().size() <= 0) {
                throw StorageException.invalidArgument("Volume " + vid() + " needs a size to be created");
            }
            Path tmp = files.temporary("create");
            ImageCopy.createSparse(tmp, config().size());
            pool.locked(() -> files.commitBase(nextNumber(), tmp));
        }
    }

    @Override
    public void remove() {
        assertLocked();
        pool.locked(() -> {
            Catalog catalog = pool.catalog();
            Set<RevisionRef> running = pool.running();
            List<RevisionRef> users = new ArrayList<>();
            for (StoredRevision r : catalog.revisions(vid())) {
                catalog.dependents(new RevisionRef(vid(), r.number()), running).stream()
                        .filter(d -> !d.vid().equals(vid())).forEach(users::add);
            }
            if (!users.isEmpty()) {
                throw new StorageException(ErrorCode.IN_USE, "Cannot remove " + vid() + ": "
                        + users.stream().map(RevisionRef::toString).toList() + " sit on its revisions; remove or move them first");
            }
            tearDown(catalog);
            DurableFiles.delete(files.session());
            DurableFiles.delete(files.sessionParentFile());
            files.setAsideSessions().forEach(n -> DurableFiles.delete(files.setAside(n)));
            DurableFiles.delete(volatileImage());
            for (StoredRevision r : catalog.revisions(vid())) {
                files.remove(r.number());
            }
            removeIncomplete();
            removeExports();
            DurableFiles.deleteIfEmpty(files.dir());
        });
        pool.forget(vid());
    }

    @Override
    public void start() {
        assertLocked();
        removeIncomplete();
        DurableFiles.createDirectories(files.dir());
        switch (type()) {
            case VOLATILE -> ImageCopy.createSparse(volatileImage(), config().size());
            case ORIGIN -> pool.locked(() -> {
                SessionCommit.recover(files); // a killed commit's session is resumed
                if (stack().top().isPresent()) {
                    return; // running already (or left running by a crash): its session goes on
                }
                StoredRevision cur = requireCurrent();
                if (!Files.exists(files.session())) {
                    CowStore.create(files.session(), GEOMETRY, size()).close();
                }
                build(pool.catalog().chain(ref(cur)));
            });
            case SNAPSHOT -> pool.locked(() -> {
                if (stack().top().isPresent()) {
                    return;
                }
                Optional<RevisionRef> recorded = files.sessionParent();
                RevisionRef on;
                if (recorded.isPresent() && Files.exists(files.session())) {
                    on = recorded.get(); // a crash: the run resumes on the revision it started on
                } else {
                    OverlayVolume src = sourceVolume();
                    on = src.ref(src.requireCurrent());
                    DurableFiles.delete(files.session());
                    files.writeSessionParent(on);
                    CowStore.create(files.session(), GEOMETRY, size()).close();
                }
                build(pool.catalog().chain(on));
            });
            case ORIGIN_SNAPSHOT -> throw unsupported("snap_on_start together with save_on_stop");
        }
    }

    @Override
    public void stop() {
        assertLocked();
        switch (type()) {
            case VOLATILE -> DurableFiles.delete(volatileImage());
            case SNAPSHOT -> pool.locked(() -> {
                tearDown(pool.catalog());
                DurableFiles.delete(files.session());
                DurableFiles.delete(files.sessionParentFile());
            });
            case ORIGIN -> pool.locked(() -> {
                SessionCommit.recover(files); // a killed commit's session is committed again
                if (!Files.exists(files.session())) {
                    return;
                }
                tearDown(pool.catalog());
                DurableFiles.fsyncFile(files.session());
                StoredRevision cur = requireCurrent();
                SessionCommit.commit(files, cur, ref(cur), size(), step -> pool.observer().reached(vid(), step));
                prune();
                pool.observer().reached(vid(), CommitStep.PRUNED);
            });
            case ORIGIN_SNAPSHOT -> throw unsupported("snap_on_start together with save_on_stop");
        }
    }

    /** Removes the revisions beyond {@code revisions_to_keep} that nothing sits on. */
    private void prune() {
        Catalog catalog = pool.catalog();
        for (int n : catalog.prunable(vid(), config().revisionsToKeep(), pool.running())) {
            files.remove(n);
        }
    }

    // ---- revisions -------------------------------------------------------------------------------

    @Override
    public List<Revision> revisions() {
        Catalog catalog = pool.catalog();
        Set<RevisionRef> running = pool.running();
        List<StoredRevision> revs = catalog.revisions(vid());
        List<Revision> out = new ArrayList<>();
        int keep = Math.max(config().revisionsToKeep(), 0);
        for (int i = 0; i < revs.size() - 1; i++) {
            StoredRevision r = revs.get(i);
            boolean recent = i >= revs.size() - 1 - keep;
            // A revision only this volume's own layer sits on is its base, not a state to show.
            boolean usedByOthers = catalog.dependents(ref(r), running).stream().anyMatch(d -> !d.vid().equals(vid()));
            if (recent || usedByOthers) {
                out.add(new Revision(Integer.toString(r.number()), r.committed(), usedByOthers));
            }
        }
        return out;
    }

    @Override
    public void revert(String revisionId) {
        assertLocked();
        if (isDirty()) {
            throw StorageException.dirty("Cannot revert: " + vid() + " is not cleanly stopped");
        }
        if (revisions().stream().noneMatch(r -> r.id().equals(revisionId))) {
            throw StorageException.notFound("Volume " + vid() + " has no revision " + revisionId);
        }
        pool.locked(() -> {
            files.commitCopyOf(Integer.parseInt(revisionId), nextNumber());
            prune();
        });
    }

    // ---- data in and out -------------------------------------------------------------------------

    @Override
    public Path export() {
        if (!config().saveOnStop()) {
            throw unsupported("export of a volume without save_on_stop");
        }
        StoredRevision cur = requireCurrent();
        // Not a .tmp name: a start removes those, and an export may be read while the volume runs.
        Path flat = files.dir().resolve("export-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".img");
        if (cur.parent().isEmpty()) {
            if (ImageCopy.size(cur.data()) >= size()) {
                return cur.data(); // committed revisions are never written again
            }
            try {
                ImageCopy.copy(cur.data(), flat, OptionalLong.of(size()), false); // grown since: zeros past the base
                return flat;
            } catch (RuntimeException e) {
                DurableFiles.delete(flat);
                throw e;
            }
        }
        Catalog.Chain chain = pool.catalog().chain(ref(cur));
        List<CowStore> stores = new ArrayList<>();
        try (FileChannel base = FileChannel.open(chain.base(), StandardOpenOption.READ)) {
            for (Catalog.Chain.Level l : chain.layers()) {
                stores.add(CowStore.open(l.store(), false));
            }
            new LayerChain(base, size(), stores).exportTo(flat, null);
            return flat;
        } catch (IOException e) {
            DurableFiles.delete(flat);
            throw StorageException.backend("Cannot export " + vid() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            DurableFiles.delete(flat);
            throw e;
        } finally {
            stores.forEach(CowStore::close);
        }
    }

    @Override
    public void exportEnd(Path exported) {
        if (exported.getParent() != null && exported.getParent().equals(files.dir())
                && exported.getFileName().toString().startsWith("export-")) {
            DurableFiles.delete(exported);
        }
    }

    @Override
    public Path importData(long size) {
        assertLocked();
        ImportChecks.beforeImportData(this, size);
        DurableFiles.createDirectories(files.dir());
        ImageCopy.createSparse(importing(), size);
        return importing();
    }

    @Override
    public void importDataEnd(boolean success) {
        assertLocked();
        if (!Files.exists(importing())) {
            throw StorageException.notFound("No import operation in progress on " + vid());
        }
        if (!success) {
            DurableFiles.delete(importing());
            return;
        }
        DurableFiles.fsyncFile(importing());
        long size = ImageCopy.size(importing());
        pool.locked(() -> {
            files.commitBase(nextNumber(), importing());
            prune();
        });
        updateConfig(config().withSize(size));
    }

    /**
     * From a volume of this pool: a new revision that is an empty layer over the source's
     * committed revision, whatever its size (no data is read or written). From another pool: a
     * copy of its export as a new base.
     */
    @Override
    public void importVolume(Volume src) {
        assertLocked();
        if (!ImportChecks.beforeImportVolume(this)) {
            return; // snapshot and volatile volumes carry no data of their own (as upstream)
        }
        DurableFiles.createDirectories(files.dir());
        if (src instanceof OverlayVolume o && o.pool == pool && o.current().isPresent()) {
            pool.locked(() -> {
                RevisionRef on = o.ref(o.requireCurrent());
                Path layer = files.temporary("clone");
                DurableFiles.delete(layer);
                CowStore.create(layer, GEOMETRY, o.size()).close();
                files.commitLayer(nextNumber(), layer, on);
                prune();
            });
            updateConfig(config().withSize(o.size()));
            return;
        }
        Path exported = src.export();
        try {
            ImageCopy.copy(exported, importing(), OptionalLong.of(src.size()), false);
        } catch (RuntimeException e) {
            DurableFiles.delete(importing());
            throw e;
        } finally {
            src.exportEnd(exported);
        }
        pool.locked(() -> {
            files.commitBase(nextNumber(), importing());
            prune();
        });
        updateConfig(config().withSize(src.size()));
    }

    /**
     * Grows the volume: committed files are never rewritten, so a stopped volume only records the
     * new size (its chain reads zeros past what its base and layers hold), and a running one gets
     * its session's room and its devices grown in place. Shrinking is refused: revisions and the
     * layers of other volumes keep the old extent. A read-only volume is refused first, as upstream.
     */
    @Override
    public void resize(long newSize) {
        assertLocked();
        if (!config().rw()) {
            throw StorageException.invalidArgument("Can not resize readonly volume " + vid());
        }
        if (newSize <= 0 || newSize % 512 != 0) {
            throw StorageException.invalidArgument("Size of " + vid() + " must be a positive multiple of 512, not " + newSize);
        }
        if (newSize < size()) {
            throw StorageException.notSupported(OverlayDriver.NAME, "shrinking " + vid() + " from " + size() + " to " + newSize
                    + " bytes (its revisions, and layers of other volumes, keep the old extent)");
        }
        if (newSize == size()) {
            return;
        }
        switch (type()) {
            case VOLATILE -> {
                if (Files.exists(volatileImage())) {
                    try (NativeFile f = NativeFile.openReadWrite(volatileImage())) {
                        f.truncate(newSize); // a running volatile volume: its file is the domain's disk
                        f.fsync();
                    }
                }
            }
            case ORIGIN -> pool.locked(() -> {
                if (stack().top().isPresent()) {
                    Catalog.Chain chain = pool.catalog().chain(ref(requireCurrent()));
                    stack().grow(chain.base(), levels(chain), files.session(), newSize, GEOMETRY);
                }
            });
            case SNAPSHOT, ORIGIN_SNAPSHOT -> throw unsupported("resize of a snap_on_start volume (it has its source's size)");
        }
        updateConfig(config().withSize(newSize));
    }

    // ---- state -----------------------------------------------------------------------------------

    @Override
    public boolean isDirty() {
        // A set-aside session is a commit a kill interrupted: the run is not committed yet.
        return config().saveOnStop() && (Files.exists(files.session()) || SessionCommit.interrupted(files));
    }

    /**
     * The revision of another volume this one's committed state sits on: a same-pool clone's
     * source. A volume's own first image under its commits is no parent of another volume.
     */
    @Override
    public Optional<Layer> layer() {
        Catalog catalog = pool.catalog();
        return catalog.current(vid()).flatMap(StoredRevision::parent).filter(p -> !p.vid().equals(vid()))
                .map(p -> new Layer(p.vid(), Integer.toString(p.revision()), catalog.behind(vid())));
    }

    /** A snapshot session started on a revision its source has committed over since. */
    @Override
    public boolean isOutdated() {
        if (!config().snapOnStart()) {
            return false;
        }
        Optional<RevisionRef> on = files.sessionParent();
        if (on.isEmpty() || !Files.exists(files.session())) {
            return false;
        }
        OverlayVolume src = sourceVolume();
        return src.current().map(c -> c.number() != on.get().revision()).orElse(true);
    }

    /** The revision a running snapshot session sits on. */
    Optional<RevisionRef> sessionSource() {
        return config().snapOnStart() && Files.exists(files.session()) ? files.sessionParent() : Optional.empty();
    }

    @Override
    public void verify() {
        switch (type()) {
            case VOLATILE -> { }
            case SNAPSHOT -> sourceVolume().verify();
            default -> pool.catalog().chain(ref(requireCurrent()));
        }
    }

    @Override
    public Optional<BlockDevice> blockDevice() {
        Path path = type() == VolumeType.VOLATILE ? volatileImage() : pool.dm().device(runName());
        return Optional.of(BlockDevice.disk(path, name(), config().rw()));
    }

    @Override
    public long size() {
        return config().size();
    }

    /** The bytes the committed revision holds itself: a base's data, or a layer's own chunks and metadata. */
    @Override
    public OptionalLong usage() {
        Optional<StoredRevision> cur = current();
        if (cur.isEmpty()) {
            return OptionalLong.of(0);
        }
        return OptionalLong.of(pool.allocated(cur.get().data()));
    }

    /**
     * Each committed revision's own data: a base image whole (mapped by the reader), a layer as
     * the chunks of its store its exceptions name (its header, metadata areas and chunks written
     * after its last commit hold no data of the volume). Refused while the volume runs, or while
     * an interrupted commit waits for the next start.
     */
    @Override
    public List<StoredData> storedData() {
        assertLocked();
        if (isDirty() || Files.exists(files.session())) {
            throw StorageException.busy(vid() + " is running or its last run is not committed yet");
        }
        List<StoredData> out = new ArrayList<>();
        Set<Object> seen = new HashSet<>();
        for (StoredRevision r : files.revisions()) {
            // A revert commits an older revision again as a hard link: one piece of storage, listed once.
            if (seen.add(fileKey(r.data()))) {
                out.add(r.isLayer() ? LayerExtents.of(r.data()) : StoredData.wholeFile(r.data()));
            }
        }
        return out;
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            throw StorageException.backend("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private Optional<StoredRevision> current() {
        return files.current();
    }

    private StoredRevision requireCurrent() {
        return current().orElseThrow(() -> StorageException.notFound("Volume " + vid() + " has no committed data in " + files.dir()));
    }

    private RevisionRef ref(StoredRevision r) {
        return new RevisionRef(vid(), r.number());
    }

    private int nextNumber() {
        return current().map(r -> r.number() + 1).orElse(1);
    }

    private OverlayVolume sourceVolume() {
        Volume s = source().orElseThrow(() -> StorageException.invalidArgument(vid() + " has no source"));
        if (!(s instanceof OverlayVolume o)) {
            throw StorageException.invalidArgument("Source of " + vid() + " is not an overlay volume");
        }
        return o;
    }

    private Path importing() {
        return files.temporary("import");
    }

    private Path volatileImage() {
        return files.dir().resolve("run.img");
    }

    private void build(Catalog.Chain chain) {
        stack().build(chain.base(), levels(chain), files.session(), size(), GEOMETRY);
    }

    /** Tears down this volume's run, whatever chain it was built on (found from what the disk records). */
    private void tearDown(Catalog catalog) {
        Optional<RevisionRef> on = type() == VolumeType.SNAPSHOT ? files.sessionParent() : current().map(this::ref);
        if (on.isEmpty()) {
            stack().tearDown(files.session(), List.of(), files.session());
            return;
        }
        Catalog.Chain chain = catalog.chain(on.get());
        stack().tearDown(chain.base(), levels(chain), files.session());
    }

    private static List<Path> levels(Catalog.Chain chain) {
        return chain.layers().stream().map(Catalog.Chain.Level::store).toList();
    }

    private ChainStack stack() {
        return new ChainStack(pool.dm(), stackId());
    }

    private String runName() {
        return "qov-" + stackId() + "-run";
    }

    /** The id naming this volume's run among all pools' (device names are global). */
    private String stackId() {
        return ChainStack.id("run\0" + pool.directory() + "\0" + vid());
    }

    private void removeIncomplete() {
        for (Path p : files.incomplete()) {
            DurableFiles.delete(p);
        }
    }

    /** Flat images exports made that were never ended (a crashed backup). */
    private void removeExports() {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(files.dir(), "export-*.img")) {
            s.forEach(DurableFiles::delete);
        } catch (IOException e) {
            // no directory: nothing to remove
        }
    }

}
