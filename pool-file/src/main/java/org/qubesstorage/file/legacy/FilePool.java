package org.qubesstorage.file.legacy;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.qubesstorage.support.DirectoryPool;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeRules;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.spi.VolumeType;

/** A {@code file} pool (upstream's {@code FilePool} in {@code qubes/storage/file.py}). */
public final class FilePool extends DirectoryPool {
    /**
     * The device names this driver makes: from file identities ({@code <st_dev hex>:<inode>}),
     * never from user input.
     */
    static final Pattern DM_NAMES = Pattern.compile("\\A(origin|snapshot)(-[0-9a-f]+:[0-9]+)+\\z");
    private final DeviceMapper dm;
    /** dm tables refer to each other; build and tear them down one at a time (upstream's _lock). */
    private final ReentrantLock dmLock = new ReentrantLock();

    FilePool(PoolConfig config, DeviceMapper dm) {
        super(config, 1);
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
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.ORIGIN_VOLUMES, Capability.SNAPSHOT_VOLUMES, Capability.VOLATILE_VOLUMES,
                Capability.REVISIONS, Capability.SNAPSHOTS_DISABLED, Capability.GROW, Capability.SHRINK,
                Capability.IMPORT_DATA, Capability.SPACE_ACCOUNTING);
    }

    @Override
    protected List<Path> storedFiles(Volume volume) {
        return ((FileVolume) volume).storedFiles();
    }

    @Override
    public void setup() {
        createLayout();
    }

    @Override
    public void destroy() {
    }

    @Override
    public Volume initVolume(VolumeSpec spec) {
        VolumeRules.validate(this, spec);
        String vid = vidFor(spec);
        Path volumeDir = volumeDirectory(vid);
        int rtk = spec.type() == VolumeType.ORIGIN ? spec.revisionsToKeep().orElse(revisionsToKeep()) : 0;
        checkRevisions(rtk);
        return register(new FileVolume(this, VolumeRules.toConfig(this, spec, vid, rtk), spec.source(), volumeDir,
                fileStem(vid)));
    }
}
