package org.qubesstorage.file.kernel;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeRules;
import org.qubesstorage.spi.VolumeSpec;

/** Kernels as read-only volumes; the vid is the kernel version (empty: the domain has no kernel). */
final class LinuxKernelPool implements Pool {
    private final String name;
    private final Path dir;

    LinuxKernelPool(PoolConfig config) {
        this.name = config.name();
        this.dir = Path.of(config.require("dir_path")).normalize();
        if (!dir.isAbsolute()) {
            throw StorageException.invalidConfiguration("Pool " + name + ": dir_path must be absolute, not " + dir);
        }
    }

    Path directory() {
        return dir;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String driverName() {
        return LinuxKernelDriver.NAME;
    }

    @Override
    public Map<String, String> config() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("name", name);
        c.put("dir_path", dir.toString());
        c.put("driver", LinuxKernelDriver.NAME);
        return c;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.VOLATILE_VOLUMES);
    }

    @Override
    public void setup() {
        DurableFiles.createDirectories(dir);
    }

    @Override
    public void destroy() {
    }

    @Override
    public Volume initVolume(VolumeSpec spec) {
        if (spec.rw()) {
            throw StorageException.invalidArgument("Kernel volume " + spec.name() + " of " + spec.domain().name()
                    + " must be read-only");
        }
        if (spec.saveOnStop()) {
            throw StorageException.notSupported(LinuxKernelDriver.NAME, "save_on_stop kernel volumes");
        }
        // Upstream turns a snap_on_start kernel volume without a source into a plain one.
        VolumeSpec plain = spec.snapOnStart() && spec.source().isEmpty()
                ? new VolumeSpec(spec.domain(), spec.name(), spec.vid(), false, false, false, OptionalInt.of(0), 0,
                        Optional.empty(), spec.ephemeral())
                : spec.withRevisionsToKeep(0);
        VolumeRules.validate(this, plain);
        String version = plain.vid().orElse("");
        if (version.contains("/") || version.startsWith("-") || version.equals("..") || version.equals(".")) {
            throw StorageException.invalidArgument("Invalid kernel version " + version);
        }
        return new KernelVolume(this, VolumeRules.toConfig(this, plain, version, 0));
    }

    @Override
    public Optional<Volume> getVolume(String vid) {
        if (vid.isEmpty() || !Files.isDirectory(dir.resolve(vid))) {
            return Optional.empty();
        }
        return Optional.of(initVolume(new VolumeSpec(new DomainRef("dom0", false), "kernel", Optional.of(vid), false, false,
                false, OptionalInt.of(0), 0, Optional.empty(), Optional.empty())));
    }

    @Override
    public List<Volume> listVolumes() {
        List<Volume> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path p : s) {
                getVolume(p.getFileName().toString()).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw StorageException.backend("Cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public OptionalLong size() {
        return OptionalLong.empty();
    }

    @Override
    public OptionalLong usage() {
        return OptionalLong.empty();
    }

    @Override
    public Map<String, Long> usageDetails() {
        return Map.of();
    }

    @Override
    public int revisionsToKeep() {
        return 0;
    }

    @Override
    public void setRevisionsToKeep(int n) {
        throw StorageException.notSupported(LinuxKernelDriver.NAME, "revisions");
    }

    @Override
    public boolean ephemeralVolatile() {
        return false;
    }

    @Override
    public void setEphemeralVolatile(boolean e) {
        throw StorageException.notSupported(LinuxKernelDriver.NAME, "ephemeral volumes");
    }
}
