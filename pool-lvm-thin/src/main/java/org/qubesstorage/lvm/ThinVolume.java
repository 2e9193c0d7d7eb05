package org.qubesstorage.lvm;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.qubesstorage.copy.CopyControl;
import org.qubesstorage.copy.CopyListener;
import org.qubesstorage.copy.CopyMode;
import org.qubesstorage.copy.CopyRequest;
import org.qubesstorage.copy.SparseCopier;
import org.qubesstorage.spi.AbstractVolume;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Revision;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.StoredData;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeConfig;
import org.qubesstorage.spi.VolumeType;

/**
 * An {@code lvm_thin} volume (upstream's {@code ThinVolume} in {@code qubes/storage/lvm.py}).
 *
 * <p>LVs: {@code <vid>} the committed state (and the volatile volume), {@code <vid>-snap} the
 * running state, {@code <vid>-import} an import in progress, {@code <vid>-<ts>-back} revisions.
 * A commit renames current → revision, then {@code -snap} → current, and prunes last, so a crash
 * between steps leaves either the old current or a newest revision that lookups fall back to; the
 * next stop finishes the commit. Every command's effect is applied to the shared lvs cache; a
 * failed command invalidates it.
 */
final class ThinVolume extends AbstractVolume {
    private static final SparseCopier COPIER = new SparseCopier();

    private final ThinPool pool;
    /** With snapshots disabled nothing on disk shows that the volume runs; this process remembers. */
    private volatile boolean runningDirect;

    ThinVolume(ThinPool pool, VolumeConfig config, Optional<Volume> source) {
        super(pool, config, source);
        this.pool = pool;
    }

    private LvsCache cache() {
        return pool.cache();
    }

    private String snap() {
        return vid() + LvmNames.SNAP;
    }

    private String importing() {
        return vid() + LvmNames.IMPORT;
    }

    /** Revision LVs of this volume, oldest first (by their timestamp). */
    private List<String> revisionLvs() {
        List<String> out = new ArrayList<>();
        for (String full : cache().all().keySet()) {
            if (LvmNames.revisionId(vid(), full).isPresent()) {
                out.add(full);
            }
        }
        out.sort(Comparator.comparingLong(ThinVolume::timestampOf));
        return out;
    }

    private static long timestampOf(String full) {
        String n = full.substring(0, full.length() - LvmNames.BACK.length());
        return Long.parseLong(n.substring(n.lastIndexOf('-') + 1));
    }

    /** {@code <vid>} if present; after an interrupted commit the newest revision; else {@code <vid>}. */
    String currentVid() {
        if (cache().contains(vid())) {
            return vid();
        }
        List<String> revs = revisionLvs();
        return revs.isEmpty() ? vid() : revs.getLast();
    }

    private Path mapperPath(String full) {
        return Path.of("/dev/mapper", LvmNames.mapperName(full));
    }

    // ---- commands that keep the cache in step --------------------------------------------------

    /** Runs an lvm command and applies its effect to the cache; a failure leaves the cache unknown. */
    private void lvm(String what, List<String> argv, Runnable onSuccess) {
        try {
            pool.lvm().run(what, argv);
        } catch (StorageException e) {
            cache().invalidate();
            throw e;
        }
        onSuccess.run();
    }

    private void createLv(String full, long size) {
        String name = LvmNames.lv(full);
        lvm("Creating " + full, LvmCommands.create(pool.vg(), pool.thinPoolName(), name, size),
                () -> cache().created(new LvInfo(pool.vg(), name, pool.thinPoolName(), size, 0, "Vwi-a-tz--", "", 0, -1)));
    }

    private void cloneLv(String source, String target) {
        String name = LvmNames.lv(target);
        long size = cache().get(source).map(LvInfo::size).orElse(config().size());
        lvm("Snapshotting " + source + " as " + target, LvmCommands.clone(source, name),
                () -> cache().created(new LvInfo(pool.vg(), name, pool.thinPoolName(), size, 0, "Vwi-a-tz--",
                        LvmNames.lv(source), 0, -1)));
    }

    private void removeLv(String full) {
        pool.lvm().runQuietly(LvmCommands.discard(full));
        lvm("Removing " + full, LvmCommands.remove(full), () -> cache().removed(full));
    }

    private void removeIfPresent(String full) {
        if (cache().contains(full)) {
            removeLv(full);
        }
    }

    private void renameLv(String from, String to) {
        lvm("Renaming " + from + " to " + to, LvmCommands.rename(from, to), () -> cache().renamed(from, to));
    }

    private void resizeLv(String full, long size, boolean shrink) {
        lvm("Resizing " + full, LvmCommands.resize(full, size, shrink), () -> cache().resized(full, size));
    }

    private void activateIfNeeded(String full) {
        Optional<LvInfo> lv = cache().get(full);
        if (lv.isPresent() && !lv.get().isActive()) {
            lvm("Activating " + full, LvmCommands.activate(full), () -> cache().activated(full));
        }
    }

    // ---- the Volume contract -------------------------------------------------------------------

    @Override
    public void create() {
        assertLocked();
        if (!config().saveOnStop()) {
            return; // snapshot and volatile volumes have no LV until started
        }
        if (cache().contains(vid())) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "Volume " + vid() + " already exists");
        }
        if (source().isPresent()) {
            ThinVolume src = (ThinVolume) source().get();
            pool.admit(config().size(), "snapshot " + src.currentVid() + " as " + vid());
            cloneLv(src.currentVid(), vid());
        } else {
            if (config().size() <= 0) {
                throw StorageException.invalidArgument("Volume " + vid() + " needs a size to be created");
            }
            pool.admit(config().size(), "create " + vid() + " (" + config().size() + " bytes)");
            createLv(vid(), config().size());
        }
    }

    @Override
    public void remove() {
        assertLocked();
        removeIfPresent(snap());
        removeIfPresent(importing());
        for (String rev : revisionLvs()) {
            removeLv(rev);
        }
        removeIfPresent(vid());
        pool.forget(vid());
    }

    private void abortIfImportInProgress() {
        if (cache().contains(importing())) {
            throw StorageException.busy("Import operation in progress on " + vid());
        }
    }

    @Override
    public void start() {
        assertLocked();
        abortIfImportInProgress();
        switch (type()) {
            case VOLATILE -> reset();
            case ORIGIN, SNAPSHOT, ORIGIN_SNAPSHOT -> {
                if (config().saveOnStop() && isDirty()) {
                    // A crash (the domain never stopped): keep the uncommitted -snap.
                    activateIfNeeded(snap());
                    return;
                }
                if (config().snapshotsDisabled()) {
                    for (String rev : revisionLvs()) {
                        removeLv(rev);
                    }
                    if (!cache().contains(vid())) {
                        throw StorageException.notFound("Volume " + vid() + " missing");
                    }
                    activateIfNeeded(vid());
                    runningDirect = true;
                    return;
                }
                takeSnapshot();
            }
        }
    }

    private void takeSnapshot() {
        if (cache().contains(snap())) {
            try {
                removeLv(snap());
            } catch (StorageException e) {
                // upstream ignores a failing removal of a stale -snap; the clone below then reports
            }
        }
        ThinVolume origin = source().map(s -> (ThinVolume) s).orElse(this);
        String from = origin.currentVid();
        if (!cache().contains(from)) {
            throw StorageException.notFound("Volume " + from + " missing (source of " + vid() + ")");
        }
        pool.admit(cache().get(from).map(LvInfo::size).orElse(config().size()), "snapshot " + from + " for " + vid());
        cloneLv(from, snap());
    }

    /** A volatile volume: a new, empty LV at every start. */
    private void reset() {
        try {
            removeIfPresent(currentVid());
        } catch (StorageException e) {
            // as upstream: a failing removal of the old volatile LV is reported by the create below
        }
        pool.admit(config().size(), "create volatile volume " + vid() + " (" + config().size() + " bytes)");
        createLv(vid(), config().size());
    }

    @Override
    public void stop() {
        assertLocked();
        switch (type()) {
            case VOLATILE -> removeIfPresent(vid());
            case SNAPSHOT -> removeIfPresent(snap());
            case ORIGIN, ORIGIN_SNAPSHOT -> {
                runningDirect = false;
                if (!config().snapshotsDisabled()) {
                    if (config().rw()) {
                        commit(snap(), false);
                    } else {
                        removeIfPresent(snap());
                    }
                }
            }
        }
    }

    /**
     * Makes {@code toCommit} the current state: current → {@code -<ts>-back}, then {@code toCommit}
     * renamed (or, with {@code keep}, thin-snapshotted) to current, then old revisions pruned.
     */
    private boolean commit(String toCommit, boolean keep) {
        if (!cache().contains(toCommit)) {
            return false;
        }
        if (cache().contains(vid())) {
            renameLv(vid(), nextRevisionName());
        }
        if (keep) {
            cloneLv(toCommit, vid());
        } else {
            renameLv(toCommit, vid());
        }
        pruneRevisions();
        return true;
    }

    private String nextRevisionName() {
        long ts = pool.context().clock().instant().getEpochSecond();
        List<String> revs = revisionLvs();
        if (!revs.isEmpty()) {
            ts = Math.max(ts, timestampOf(revs.getLast()) + 1); // two commits in one second stay ordered
        }
        return LvmNames.revision(vid(), ts);
    }

    private void pruneRevisions() {
        List<String> revs = revisionLvs();
        int keep = Math.max(config().revisionsToKeep(), 0);
        for (int i = 0; i < revs.size() - keep; i++) {
            removeLv(revs.get(i));
        }
    }

    @Override
    public boolean isDirty() {
        return config().saveOnStop() && cache().contains(snap());
    }

    @Override
    public boolean isOutdated() {
        if (!config().snapOnStart() || source().isEmpty()) {
            return false;
        }
        Optional<LvInfo> s = cache().get(snap());
        return s.isPresent() && !s.get().origin().equals(LvmNames.lv(((ThinVolume) source().get()).currentVid()));
    }

    @Override
    public List<Revision> revisions() {
        List<Revision> out = new ArrayList<>();
        for (String rev : revisionLvs()) {
            out.add(new Revision(LvmNames.revisionId(vid(), rev).orElseThrow(), Instant.ofEpochSecond(timestampOf(rev))));
        }
        return out;
    }

    @Override
    public void revert(String revisionId) {
        assertLocked();
        if (isDirty()) {
            throw StorageException.dirty("Cannot revert dirty volume " + vid() + ", stop the qube first");
        }
        abortIfImportInProgress();
        String rev = vid() + "-" + revisionId;
        if (LvmNames.revisionId(vid(), rev).isEmpty() || !cache().contains(rev)) {
            throw StorageException.notFound("Volume " + vid() + " has no revision " + revisionId);
        }
        // As upstream: the current state is discarded and the revision kept.
        removeIfPresent(vid());
        cloneLv(rev, vid());
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
        long current = size();
        if (newSize == current) {
            return;
        }
        boolean shrink = newSize < current;
        String target = null;
        if ((isDirty() || config().snapOnStart()) && cache().contains(snap())) {
            target = snap();
        } else if (cache().contains(importing())) {
            target = importing();
        } else if (config().saveOnStop() && cache().contains(vid())) {
            target = vid();
        } else if (type() == VolumeType.VOLATILE && cache().contains(vid())) {
            target = vid();
        }
        if (target != null) {
            if (!shrink) {
                pool.admit(newSize - current, "grow " + target + " to " + newSize + " bytes");
            }
            resizeLv(target, newSize, shrink);
        }
        updateConfig(config().withSize(newSize));
    }

    @Override
    public Path export() {
        if (!config().saveOnStop()) {
            throw unsupported("export of a volume without save_on_stop");
        }
        if (config().snapshotsDisabled() && runningDirect) {
            throw StorageException.busy("Cannot export " + vid() + " while it runs: it has snapshots disabled");
        }
        String current = currentVid();
        if (!cache().contains(current)) {
            throw StorageException.notFound("Volume " + vid() + " missing");
        }
        activateIfNeeded(current);
        return mapperPath(current);
    }


    /**
     * The committed LV and the revisions, each activated if it is not (as {@link #export()} does)
     * and left active. A running volume is refused: its snapshot changes under any reader.
     */
    @Override
    public List<StoredData> storedData() {
        assertLocked();
        if (isDirty() || runningDirect) {
            throw StorageException.busy(vid() + " is running" + (runningDirect ? "" : " or was not stopped cleanly ("
                    + LvmNames.lv(snap()) + " exists)"));
        }
        List<String> lvs = new ArrayList<>(revisionLvs());
        if (cache().contains(vid())) {
            lvs.add(vid());
        }
        lvs.forEach(this::activateIfNeeded);
        return new ThinStoredData(pool.lvm(), pool.vg(), pool.thinPoolName()).of(lvs, this::mapperPath);
    }

    @Override
    public Path importData(long size) {
        assertLocked();
        cache().writable();
        if (!config().saveOnStop()) {
            throw unsupported("import_data into a volume without save_on_stop");
        }
        if (isDirty()) {
            throw StorageException.dirty("Cannot import data to dirty volume " + vid() + ", stop the qube first");
        }
        abortIfImportInProgress();
        pool.admit(size, "import " + size + " bytes into " + vid());
        createLv(importing(), size);
        return mapperPath(importing());
    }

    @Override
    public void importDataEnd(boolean success) {
        assertLocked();
        if (!cache().contains(importing())) {
            throw StorageException.notFound("No import operation in progress on " + vid());
        }
        if (success) {
            long size = cache().get(importing()).map(LvInfo::size).orElse(config().size());
            commit(importing(), false);
            updateConfig(config().withSize(size));
        } else {
            removeLv(importing());
        }
    }

    @Override
    public void importVolume(Volume src) {
        assertLocked();
        if (!src.config().saveOnStop()) {
            return; // as upstream: nothing to import from a volume that holds no data of its own
        }
        if (isDirty()) {
            throw StorageException.dirty("Cannot import to dirty volume " + vid() + " - start and stop a qube to cleanup");
        }
        abortIfImportInProgress();
        if (src instanceof ThinVolume t && t.pool.poolFull().equals(pool.poolFull())) {
            pool.admit(src.size(), "clone " + t.currentVid() + " into " + vid());
            commit(t.currentVid(), true);
            updateConfig(config().withSize(src.size()));
            return;
        }
        long size = src.size();
        pool.admit(size, "import " + size + " bytes from " + src.vid() + " into " + vid());
        createLv(importing(), size);
        Path exported = src.export();
        try {
            // A fresh thin LV reads as zeros: the engine writes only data and never the gaps.
            COPIER.copy(new CopyRequest(exported, mapperPath(importing()), true, false, CopyMode.ALL_DATA,
                    CopyListener.NONE, new CopyControl()));
        } catch (RuntimeException e) {
            try {
                removeLv(importing());
            } catch (StorageException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        } finally {
            src.exportEnd(exported);
        }
        commit(importing(), false);
        updateConfig(config().withSize(size));
    }

    @Override
    public void verify() {
        if (type() == VolumeType.VOLATILE) {
            return;
        }
        ThinVolume owner = source().map(s -> (ThinVolume) s).orElse(this);
        if (!cache().contains(owner.currentVid())) {
            throw StorageException.notFound("volume " + owner.currentVid() + " missing");
        }
    }

    @Override
    public Optional<BlockDevice> blockDevice() {
        String full = switch (type()) {
            case VOLATILE -> currentVid();
            default -> config().snapshotsDisabled() ? vid() : snap();
        };
        return Optional.of(BlockDevice.disk(mapperPath(full), name(), config().rw()));
    }

    @Override
    public long size() {
        Optional<LvInfo> lv = cache().get(snap()).or(() -> cache().get(currentVid()));
        return lv.map(LvInfo::size).orElse(config().size());
    }

    @Override
    public OptionalLong usage() {
        cache().refreshUsageForReport();
        return cache().get(currentVid()).map(lv -> OptionalLong.of(lv.usage())).orElse(OptionalLong.of(0));
    }
}
