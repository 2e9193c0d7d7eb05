package org.qubesstorage.callback;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.Layer;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.Revision;
import org.qubesstorage.spi.StoredData;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeConfig;

/**
 * A backend volume with the pool's commands around its operations, as upstream's {@code
 * CallbackVolume}: {@code pre_} commands before the backend's call (a failure stops it there),
 * {@code post_} commands after it succeeded. The lock is the backend volume's own, so the backend
 * sees the host's locking unchanged.
 */
final class CallbackVolume implements Volume {
    private final CallbackPool pool;
    private final Volume backend;

    CallbackVolume(CallbackPool pool, Volume backend) {
        this.pool = pool;
        this.backend = backend;
    }

    Volume backend() {
        return backend;
    }

    /** Upstream's volume arguments: name, vid, the source ({@code str()} of a volume is its vid) and the hook's own. */
    private List<String> args(Object... extra) {
        List<String> out = new ArrayList<>(List.of(name(), vid(), source().map(Volume::vid).orElse("None")));
        for (Object e : extra) {
            out.add(e instanceof Boolean b ? (b ? "True" : "False") : String.valueOf(e));
        }
        return out;
    }

    private void callback(Hook hook, Object... extra) {
        pool.callback(hook, args(extra));
    }

    @Override
    public VolumeConfig config() {
        return backend.config();
    }

    @Override
    public Pool pool() {
        return pool;
    }

    @Override
    public Optional<Volume> source() {
        return backend.source().map(s -> s.pool() == pool.backend() ? pool.wrap(s) : s);
    }

    @Override
    public ReentrantLock lock() {
        return backend.lock();
    }

    @Override
    public void create() {
        pool.ensureInitialised();
        callback(Hook.PRE_VOLUME_CREATE);
        backend.create();
        callback(Hook.POST_VOLUME_CREATE);
    }

    @Override
    public void remove() {
        pool.ensureInitialised();
        backend.remove();
        pool.forget(backend);
        callback(Hook.POST_VOLUME_REMOVE);
    }

    @Override
    public void start() {
        pool.ensureInitialised();
        callback(Hook.PRE_VOLUME_START);
        backend.start();
        callback(Hook.POST_VOLUME_START);
    }

    @Override
    public void stop() {
        pool.ensureInitialised();
        backend.stop();
        callback(Hook.POST_VOLUME_STOP);
    }

    @Override
    public Path export() {
        pool.ensureInitialised();
        callback(Hook.PRE_VOLUME_EXPORT);
        return backend.export();
    }

    @Override
    public void exportEnd(Path exported) {
        pool.ensureInitialised();
        backend.exportEnd(exported);
        callback(Hook.POST_VOLUME_EXPORT_END, exported);
    }

    @Override
    public Path importData(long size) {
        pool.ensureInitialised();
        callback(Hook.PRE_VOLUME_IMPORT_DATA, size);
        return backend.importData(size);
    }

    @Override
    public void importDataEnd(boolean success) {
        pool.ensureInitialised();
        backend.importDataEnd(success);
        callback(Hook.POST_VOLUME_IMPORT_DATA_END, success);
    }

    @Override
    public void importVolume(Volume source) {
        pool.ensureInitialised();
        callback(Hook.PRE_VOLUME_IMPORT, source.vid());
        backend.importVolume(pool.unwrap(source));
        callback(Hook.POST_VOLUME_IMPORT, source.vid());
    }

    @Override
    public boolean isDirty() {
        return pool.initialised() && backend.isDirty();
    }

    @Override
    public boolean isOutdated() {
        return pool.initialised() && backend.isOutdated();
    }

    @Override
    public Optional<Layer> layer() {
        return backend.layer();
    }

    @Override
    public void resize(long newSize) {
        pool.ensureInitialised();
        callback(Hook.PRE_VOLUME_RESIZE, newSize);
        backend.resize(newSize);
    }

    @Override
    public List<Revision> revisions() {
        return backend.revisions();
    }

    @Override
    public void revert(String revisionId) {
        pool.ensureInitialised();
        backend.revert(revisionId);
    }

    @Override
    public void verify() {
        pool.ensureInitialised();
        backend.verify();
    }

    /** Empty until the storage is initialised: usually a start came first, as upstream notes. */
    @Override
    public Optional<BlockDevice> blockDevice() {
        return pool.initialised() ? backend.blockDevice() : Optional.empty();
    }

    @Override
    public long size() {
        return backend.size();
    }

    @Override
    public OptionalLong usage() {
        return backend.usage();
    }

    @Override
    public List<Path> dedupFiles() {
        pool.ensureInitialised();
        return backend.dedupFiles();
    }

    @Override
    public List<StoredData> storedData() {
        pool.ensureInitialised();
        return backend.storedData();
    }

    @Override
    public void setRevisionsToKeep(int revisionsToKeep) {
        backend.setRevisionsToKeep(revisionsToKeep);
    }

    @Override
    public String toString() {
        return vid();
    }
}
