package org.qubesstorage.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.linux.ContainedFiles;
import org.qubesstorage.linux.DataMap;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.spi.AbstractPool;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.Names;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.SpaceUse;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/**
 * What the directory-based pools ({@code file-reflink}, {@code file}, {@code overlay}) share: an absolute
 * {@code dir_path}, upstream's vids {@code <appvms|vm-templates>/<vm>/<volume>} (refused if they
 * would leave the directory), the volumes this process initialised, and usage of the file system.
 */
public abstract class DirectoryPool extends AbstractPool {
    private final Path dir;
    private final Map<String, Volume> volumes = new ConcurrentHashMap<>();

    protected DirectoryPool(PoolConfig config, int defaultRevisionsToKeep) {
        super(config, defaultRevisionsToKeep);
        Path p = Path.of(config.require("dir_path"));
        if (!p.isAbsolute()) {
            throw StorageException.invalidConfiguration("Pool " + name() + ": dir_path must be absolute, not " + p);
        }
        this.dir = p.normalize();
    }

    public Path directory() {
        return dir;
    }

    /**
     * {@code image}, once it is known to be a regular file inside this pool's directory reached
     * without symbolic links: an image that is a link (to {@code /etc/shadow}, to a block device,
     * out of an old disk onto the running host), a FIFO or a device is refused before anything
     * reads it (see {@link ContainedFiles}).
     */
    public Path requireImage(Path image) {
        ContainedFiles.requireRegularBeneath(dir, image);
        return image;
    }

    /** The bytes {@code image}'s data map covers, read through the same checks as {@link #requireImage}. */
    public long allocated(Path image) {
        try (NativeFile f = ContainedFiles.openRead(dir, image)) {
            return DataMap.total(DataMap.of(f, ImageCopy.size(image)));
        }
    }

    /** Creates the pool directory and upstream's {@code appvms/} and {@code vm-templates/} in it. */
    protected void createLayout() {
        DurableFiles.createDirectories(dir);
        DurableFiles.createDirectories(dir.resolve("appvms"));
        DurableFiles.createDirectories(dir.resolve("vm-templates"));
    }

    /** The vid a new volume gets, or the one {@code spec} records. */
    protected String vidFor(VolumeSpec spec) {
        return spec.vid().orElse(spec.domain().dirPrefix() + "/" + spec.domain().name() + "/" + spec.name());
    }

    /** The directory of {@code vid}'s files; refuses a vid that is not {@code <dir>/<vm>/<volume>} inside the pool. */
    protected Path volumeDirectory(String vid) {
        String[] parts = vid.split("/", -1);
        if (parts.length != 3) {
            throw StorageException.invalidArgument("Pool " + name() + ": vid " + vid + " is not <dir>/<vm>/<volume>");
        }
        for (String part : parts) {
            if (part.isEmpty() || part.equals(".") || part.equals("..") || part.startsWith("-")) {
                throw StorageException.invalidArgument("Pool " + name() + ": vid " + vid + " is not acceptable");
            }
        }
        if (!parts[0].matches("[A-Za-z0-9_.-]+")) {
            throw StorageException.invalidArgument("Pool " + name() + ": vid " + vid + " is not acceptable");
        }
        Names.requireVmName(parts[1]);
        Names.requireVolumeName(parts[2]);
        Path volumeDir = dir.resolve(parts[0]).resolve(parts[1]).normalize();
        if (!volumeDir.startsWith(dir)) {
            throw StorageException.invalidArgument("Pool " + name() + ": vid " + vid + " escapes " + dir);
        }
        return volumeDir;
    }

    /** The file name stem of {@code vid}'s files (its volume name). */
    protected static String fileStem(String vid) {
        return vid.substring(vid.lastIndexOf('/') + 1);
    }

    protected <V extends Volume> V register(V volume) {
        volumes.put(volume.vid(), volume);
        return volume;
    }

    /** Forgets a removed volume. */
    public void forget(String vid) {
        volumes.remove(vid);
    }

    @Override
    public Optional<Volume> getVolume(String vid) {
        return Optional.ofNullable(volumes.get(vid));
    }

    @Override
    public List<Volume> listVolumes() {
        return new ArrayList<>(volumes.values());
    }

    /**
     * With {@link Capability#SPACE_ACCOUNTING}: each volume's space from where its files' extents
     * lie ({@link SharedSpace}), so clones, revisions and deduplicated blocks count as shared.
     */
    @Override
    public Map<String, SpaceUse> volumeSpace() {
        if (!capabilities().contains(Capability.SPACE_ACCOUNTING)) {
            throw StorageException.notSupported(driverName(), "space accounting");
        }
        Map<String, List<Path>> files = new LinkedHashMap<>();
        for (Volume v : listVolumes()) {
            files.put(v.vid(), storedFiles(v));
        }
        return SharedSpace.measure(dir, files);
    }

    /**
     * The files that exist now holding {@code volume}'s data, current and kept revisions, for
     * {@link #volumeSpace()}; a driver declaring {@link Capability#SPACE_ACCOUNTING} overrides it.
     */
    protected List<Path> storedFiles(Volume volume) {
        throw StorageException.notSupported(driverName(), "space accounting");
    }

    @Override
    public Optional<String> includedIn(Collection<? extends Pool> pools) {
        return poolContainingDirectory(pools);
    }

    /**
     * Upstream's {@code search_pool_containing_dir} for directory pools: the other pool among
     * {@code pools} whose {@code dir_path} contains {@code dir} most closely.
     */
    private Optional<String> poolContainingDirectory(Collection<? extends Pool> pools) {
        Path best = null;
        String bestName = null;
        for (Pool p : pools) {
            String other = p.config().get("dir_path");
            if (p == this || p.name().equals(name()) || other == null) {
                continue;
            }
            Path o = Path.of(other).toAbsolutePath().normalize();
            if (dir.toAbsolutePath().normalize().startsWith(o) && (best == null || o.getNameCount() > best.getNameCount())) {
                best = o;
                bestName = p.name();
            }
        }
        return Optional.ofNullable(bestName);
    }

    /** {@code name}, {@code dir_path}, {@code driver} and the two standard defaults. */
    @Override
    public Map<String, String> config() {
        return baseConfig(Map.of("dir_path", dir.toString()));
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
