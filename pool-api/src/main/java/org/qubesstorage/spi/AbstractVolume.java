package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A convenient base for drivers: holds the configuration, the source and the lock, and answers
 * {@link ErrorCode#NOT_SUPPORTED} (with the standard sentence) for the optional operations a
 * driver does not override.
 */
public abstract class AbstractVolume implements Volume {
    private final Pool pool;
    private final Optional<Volume> source;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile VolumeConfig config;

    protected AbstractVolume(Pool pool, VolumeConfig config, Optional<Volume> source) {
        this.pool = requireNonNull(pool, "pool");
        this.config = requireNonNull(config, "config");
        this.source = requireNonNull(source, "source");
    }

    @Override
    public VolumeConfig config() {
        return config;
    }

    /** Replaces the configuration (after a resize, a change of revisions_to_keep, ...). */
    protected void updateConfig(VolumeConfig newConfig) {
        this.config = requireNonNull(newConfig, "newConfig");
    }

    @Override
    public Pool pool() {
        return pool;
    }

    @Override
    public Optional<Volume> source() {
        return source;
    }

    @Override
    public ReentrantLock lock() {
        return lock;
    }

    @Override
    public void setRevisionsToKeep(int revisionsToKeep) {
        if (revisionsToKeep < -1) {
            throw StorageException.invalidArgument("revisions_to_keep must be -1 or more, not " + revisionsToKeep);
        }
        if (revisionsToKeep == -1 && !pool.capabilities().contains(Capability.SNAPSHOTS_DISABLED)) {
            throw StorageException.notSupported(pool.driverName(), "revisions_to_keep=-1 (snapshots disabled)");
        }
        updateConfig(config.withRevisionsToKeep(revisionsToKeep));
    }

    /** The standard NOT_SUPPORTED failure for {@code operation} on this volume's driver. */
    protected StorageException unsupported(String operation) {
        return StorageException.notSupported(pool.driverName(), operation + " (volume " + vid() + ")");
    }

    /** Throws unless this volume's pool declares {@code capability}. */
    protected void requireCapability(Capability capability, String operation) {
        if (!pool.capabilities().contains(capability)) {
            throw unsupported(operation);
        }
    }

    /** Asserts the host holds this volume's lock, as the contract says it must for mutations. */
    protected void assertLocked() {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("Volume " + vid() + ": mutating call without holding its lock");
        }
    }

    @Override
    public Path export() {
        throw unsupported("export");
    }

    @Override
    public void exportEnd(Path exported) {
        // Most drivers hand out a path that needs no cleanup.
    }

    @Override
    public Path importData(long size) {
        throw unsupported("import_data");
    }

    @Override
    public void importDataEnd(boolean success) {
        throw unsupported("import_data_end");
    }

    @Override
    public void importVolume(Volume src) {
        throw unsupported("import_volume");
    }

    @Override
    public void resize(long newSize) {
        throw unsupported("resize");
    }

    @Override
    public void revert(String revisionId) {
        throw unsupported("revert");
    }

    @Override
    public boolean isOutdated() {
        return false;
    }

    @Override
    public String toString() {
        return pool.name() + ":" + vid();
    }
}
