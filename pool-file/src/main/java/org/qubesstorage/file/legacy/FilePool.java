package org.qubesstorage.file.legacy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.spi.AbstractPool;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.Names;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeRules;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.spi.VolumeType;

/** A {@code file} pool (upstream's {@code FilePool}, reference §4.1). */
public final class FilePool extends AbstractPool {
    private final Path dir;
    private final DeviceMapper dm;
    /** dm tables refer to each other; build and tear them down one at a time (upstream's _lock). */
    private final ReentrantLock dmLock = new ReentrantLock();
    private final Map<String, FileVolume> volumes = new ConcurrentHashMap<>();

    FilePool(PoolConfig config, DeviceMapper dm) {
        super(config, 1);
        Path p = Path.of(config.require("dir_path"));
        if (!p.isAbsolute()) {
            throw StorageException.invalidConfiguration("Pool " + name() + ": dir_path must be absolute, not " + p);
        }
        this.dir = p.normalize();
        this.dm = dm;
    }

    @Override
    protected int checkRevisionsToKeep(int n) {
        return checkRevisions(n);
    }

    static int checkRevisions(int n) {
        if (n > 1) {
            throw StorageException.invalidConfiguration("FilePool supports maximum 1 volume revision to keep");
        }
        if (n < -1) {
            throw StorageException.invalidArgument("revisions_to_keep must be -1 or more, not " + n);
        }
        return n;
    }

    Path directory() {
        return dir;
    }

    DeviceMapper dm() {
        return dm;
    }

    ReentrantLock dmLock() {
        return dmLock;
    }

    @Override
    public String driverName() {
        return FileDriver.NAME;
    }

    @Override
    public Map<String, String> config() {
        return baseConfig(Map.of("dir_path", dir.toString()));
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.ORIGIN_VOLUMES, Capability.SNAPSHOT_VOLUMES, Capability.VOLATILE_VOLUMES,
                Capability.REVISIONS, Capability.SNAPSHOTS_DISABLED, Capability.GROW, Capability.SHRINK,
                Capability.IMPORT_DATA);
    }

    @Override
    public void setup() {
        DurableFiles.createDirectories(dir);
        DurableFiles.createDirectories(dir.resolve("appvms"));
        DurableFiles.createDirectories(dir.resolve("vm-templates"));
    }

    @Override
    public void destroy() {
    }

    @Override
    public Volume initVolume(VolumeSpec spec) {
        VolumeRules.validate(this, spec);
        String vid = spec.vid().orElse(spec.domain().dirPrefix() + "/" + spec.domain().name() + "/" + spec.name());
        String[] parts = vid.split("/", -1);
        if (parts.length != 3 || vid.contains("..") || vid.startsWith("-")) {
            throw StorageException.invalidArgument("Pool " + name() + ": vid " + vid + " is not <dir>/<vm>/<volume>");
        }
        Names.requireVolumeName(parts[2]);
        int rtk = spec.type() == VolumeType.ORIGIN ? spec.revisionsToKeep().orElse(revisionsToKeep()) : 0;
        checkRevisions(rtk);
        FileVolume v = new FileVolume(this, VolumeRules.toConfig(this, spec, vid, rtk), spec.source(),
                dir.resolve(parts[0]).resolve(parts[1]), parts[2]);
        volumes.put(vid, v);
        return v;
    }

    @Override
    public Optional<Volume> getVolume(String vid) {
        return Optional.ofNullable(volumes.get(vid));
    }

    @Override
    public List<Volume> listVolumes() {
        return new ArrayList<>(volumes.values());
    }

    void forget(String vid) {
        volumes.remove(vid);
    }

    @Override
    public Optional<String> includedIn(java.util.Collection<? extends Pool> pools) {
        return poolContainingDirectory(dir, pools);
    }

    @Override
    public OptionalLong size() {
        return fileSystemSize(dir);
    }

    @Override
    public OptionalLong usage() {
        return fileSystemUsage(dir);
    }
}
