package org.qubesstorage.file.reflink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.linux.Reflink;
import org.qubesstorage.spi.AbstractPool;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.spi.Names;
import org.qubesstorage.spi.Pool;
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
public final class ReflinkPool extends AbstractPool {
    private final Path dir;
    private final boolean setupCheck;
    private final DriverContext context;
    private volatile Boolean reflinkSupported;
    private final Map<String, ReflinkVolume> volumes = new ConcurrentHashMap<>();

    ReflinkPool(PoolConfig config, DriverContext context) {
        super(config, 1);
        Path p = Path.of(config.require("dir_path"));
        if (!p.isAbsolute()) {
            throw StorageException.invalidConfiguration("Pool " + name() + ": dir_path must be absolute, not " + p);
        }
        this.dir = p.normalize();
        this.setupCheck = config.getBoolean("setup_check", true);
        this.context = context;
    }

    public Path directory() {
        return dir;
    }

    DriverContext context() {
        return context;
    }

    @Override
    public String driverName() {
        return ReflinkDriver.NAME;
    }

    @Override
    public Map<String, String> config() {
        return baseConfig(Map.of("dir_path", dir.toString()));
    }

    /** Whether this pool's directory can reflink (probed once it exists). */
    public boolean reflinkSupported() {
        Boolean r = reflinkSupported;
        if (r == null) {
            if (!Files.isDirectory(dir)) {
                return false;
            }
            r = Reflink.isSupported(dir);
            reflinkSupported = r;
        }
        return r;
    }

    @Override
    public Set<Capability> capabilities() {
        Set<Capability> caps = EnumSet.of(Capability.ORIGIN_VOLUMES, Capability.SNAPSHOT_VOLUMES,
                Capability.VOLATILE_VOLUMES, Capability.REVISIONS, Capability.REVERT, Capability.REVERT_KEEPS_CURRENT,
                Capability.SNAPSHOTS_DISABLED, Capability.GROW, Capability.SHRINK, Capability.EXPORT_WHILE_RUNNING,
                Capability.IMPORT_DATA);
        if (reflinkSupported()) {
            caps.add(Capability.CHEAP_CLONE);
        }
        return caps;
    }

    @Override
    public void setup() {
        boolean created = !Files.exists(dir);
        DurableFiles.createDirectories(dir);
        reflinkSupported = null;
        if (setupCheck && !reflinkSupported()) {
            if (created) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // left empty; harmless
                }
            }
            throw StorageException.invalidConfiguration("The filesystem for " + dir + " does not support reflinks. If you"
                    + " can live with VM startup delays and wasted disk space, pass the 'setup_check=False' option.");
        }
        DurableFiles.createDirectories(dir.resolve("appvms"));
        DurableFiles.createDirectories(dir.resolve("vm-templates"));
    }

    @Override
    public void destroy() {
        // Upstream leaves the directory and its images alone.
    }

    @Override
    public Volume initVolume(VolumeSpec spec) {
        VolumeRules.validate(this, spec);
        String vid = spec.vid().orElse(spec.domain().dirPrefix() + "/" + spec.domain().name() + "/" + spec.name());
        Path volumeDir = checkVid(vid);
        int rtk = spec.revisionsToKeep().orElse(revisionsToKeep());
        VolumeConfig config = VolumeRules.toConfig(this, spec, vid, rtk);
        ReflinkVolume v = new ReflinkVolume(this, config, spec.source(), volumeDir, vid.substring(vid.lastIndexOf('/') + 1));
        volumes.put(vid, v);
        return v;
    }

    /** A vid is {@code <prefix>/<vm>/<volume>} inside the pool; anything escaping it is refused. */
    private Path checkVid(String vid) {
        String[] parts = vid.split("/", -1);
        if (parts.length != 3) {
            throw StorageException.invalidArgument("Pool " + name() + ": vid " + vid + " is not <dir>/<vm>/<volume>");
        }
        for (String part : parts) {
            if (part.isEmpty() || part.equals(".") || part.equals("..") || part.startsWith("-")) {
                throw StorageException.invalidArgument("Pool " + name() + ": vid " + vid + " is not acceptable");
            }
        }
        Names.requireVolumeName(parts[2]);
        Path volumeDir = dir.resolve(parts[0]).resolve(parts[1]).normalize();
        if (!volumeDir.startsWith(dir)) {
            throw StorageException.invalidArgument("Pool " + name() + ": vid " + vid + " escapes " + dir);
        }
        return volumeDir;
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
