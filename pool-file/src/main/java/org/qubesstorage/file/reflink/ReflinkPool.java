package org.qubesstorage.file.reflink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.qubesstorage.support.DirectoryPool;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.linux.Reflink;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeConfig;
import org.qubesstorage.spi.VolumeRules;
import org.qubesstorage.spi.VolumeSpec;

/**
 * A {@code file-reflink} pool: a directory with {@code appvms/} and {@code vm-templates/}, laid out
 * exactly as upstream lays it out, so an existing {@code /var/lib/qubes} is used in place.
 */
public final class ReflinkPool extends DirectoryPool {
    private final boolean setupCheck;
    private final DriverContext context;
    private volatile Boolean reflinkSupported;

    ReflinkPool(PoolConfig config, DriverContext context) {
        super(config, 1);
        this.setupCheck = config.getBoolean("setup_check", true);
        this.context = context;
    }

    DriverContext context() {
        return context;
    }

    @Override
    public String driverName() {
        return ReflinkDriver.NAME;
    }

    /** Whether this pool's directory can reflink (probed once it exists). */
    public boolean reflinkSupported() {
        Boolean r = reflinkSupported;
        if (r == null) {
            if (!Files.isDirectory(directory())) {
                return false;
            }
            r = Reflink.isSupported(directory());
            reflinkSupported = r;
        }
        return r;
    }

    @Override
    public Set<Capability> capabilities() {
        Set<Capability> caps = EnumSet.of(Capability.ORIGIN_VOLUMES, Capability.SNAPSHOT_VOLUMES,
                Capability.VOLATILE_VOLUMES, Capability.REVISIONS, Capability.REVERT, Capability.REVERT_KEEPS_CURRENT,
                Capability.SNAPSHOTS_DISABLED, Capability.GROW, Capability.SHRINK, Capability.EXPORT_WHILE_RUNNING,
                Capability.IMPORT_DATA, Capability.SPACE_ACCOUNTING, Capability.DUPLICATE_REPORT);
        if (reflinkSupported()) {
            caps.add(Capability.CHEAP_CLONE);
            caps.add(Capability.DEDUPLICATION);
        }
        return caps;
    }

    @Override
    public void setup() {
        boolean created = !Files.exists(directory());
        DurableFiles.createDirectories(directory());
        reflinkSupported = null;
        if (setupCheck && !reflinkSupported()) {
            if (created) {
                try {
                    Files.deleteIfExists(directory());
                } catch (IOException ignored) {
                    // left empty; harmless
                }
            }
            throw StorageException.invalidConfiguration("The filesystem for " + directory() + " does not support reflinks. If you"
                    + " can live with VM startup delays and wasted disk space, pass the 'setup_check=False' option.");
        }
        createLayout();
    }

    @Override
    protected List<Path> storedFiles(Volume volume) {
        return ((ReflinkVolume) volume).storedFiles();
    }

    @Override
    public void destroy() {
        // Upstream leaves the directory and its images alone.
    }

    @Override
    public Volume initVolume(VolumeSpec spec) {
        VolumeRules.validate(this, spec);
        String vid = vidFor(spec);
        Path volumeDir = volumeDirectory(vid);
        int rtk = spec.revisionsToKeep().orElse(revisionsToKeep());
        VolumeConfig config = VolumeRules.toConfig(this, spec, vid, rtk);
        return register(new ReflinkVolume(this, config, spec.source(), volumeDir, fileStem(vid)));
    }
}
