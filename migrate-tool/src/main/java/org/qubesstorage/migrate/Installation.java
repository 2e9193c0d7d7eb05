package org.qubesstorage.migrate;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.facade.RunningState;
import org.qubesstorage.facade.StorageHost;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.host.PoolFactory;
import org.qubesstorage.host.PoolRegistry;
import org.qubesstorage.xml.QubesXml;
import org.qubesstorage.wiring.Bootstrap;
import org.qubesstorage.xml.QubesXmlFile;

/**
 * A Qubes installation as the tool sees it: its {@code qubes.xml} as loaded, the pools it names
 * (made by the drivers on the class path and in the plugin directory) and the storage facade over
 * both.
 *
 * <p>{@code qubesDir} lets an installation be read from somewhere other than {@code /var/lib/qubes}
 * (an old disk or a restored backup): paths the file records under {@code /var/lib/qubes} are read
 * under {@code qubesDir} instead. Only the loaded copies change; what is written back keeps the
 * recorded paths.
 */
public final class Installation {
    static final Path RECORDED_ROOT = Path.of("/var/lib/qubes");

    private final QubesXmlFile file;
    private final Path qubesDir;
    private final PoolFactory factory;
    private final PoolRegistry pools;
    private final StorageHost host;

    private Installation(QubesXmlFile file, Path qubesDir, PoolFactory factory, PoolRegistry pools, RunningState running) {
        this.file = file;
        this.qubesDir = qubesDir;
        this.factory = factory;
        this.pools = pools;
        this.host = new StorageHost(file.document().model(), pools, running);
    }

    /** Loads {@code qubesXml} (throws {@code StorageException} with file:line:column if it is bad). */
    public static Installation load(Path qubesXml, Optional<Path> qubesDir, DriverRegistry drivers) {
        return load(qubesXml, qubesDir, drivers, new RunningState(Path.of("/run/qubes")));
    }

    /** {@link #load(Path, Optional, DriverRegistry)} with the facade's running-state directory given (demo, tests). */
    public static Installation load(Path qubesXml, Optional<Path> qubesDir, DriverRegistry drivers, RunningState running) {
        requireNonNull(qubesXml, "qubesXml");
        QubesXmlFile file = QubesXmlFile.load(qubesXml);
        Path dir = qubesDir.orElse(qubesXml.toAbsolutePath().getParent());
        Bootstrap storage = Bootstrap.load(file, drivers, HostDriverContext.system(), Optional.empty(), p -> {
            Map<String, String> attrs = new LinkedHashMap<>(p);
            if (attrs.containsKey("dir_path")) {
                attrs.put("dir_path", remap(Path.of(attrs.get("dir_path")), dir).toString());
            }
            return attrs;
        });
        return new Installation(file, dir, storage.factory(), storage.pools(), running);
    }

    /** {@code recorded} with a leading {@code /var/lib/qubes} replaced by {@code qubesDir}. */
    static Path remap(Path recorded, Path qubesDir) {
        if (recorded.isAbsolute() && recorded.startsWith(RECORDED_ROOT) && !qubesDir.equals(RECORDED_ROOT)) {
            return qubesDir.resolve(RECORDED_ROOT.relativize(recorded));
        }
        return recorded;
    }

    public Path remap(Path recorded) {
        return remap(recorded, qubesDir);
    }

    /**
     * The image of legacy domain {@code d}'s volume {@code volume} where it lives now, once it is
     * known to be a regular file inside the domain's (remapped) directory reached without symbolic
     * links: on an old disk given with {@code --qubes-dir}, an absolute link would otherwise read the
     * running host's files into a qube's new volume.
     *
     * @throws org.qubesstorage.spi.StorageException NOT_FOUND if it is missing, INVALID_CONFIGURATION
     *                                               if it is anything but such a file
     */
    public Path legacyImage(org.qubesstorage.xml.DomainEntry d, String volume) {
        Path recorded = d.images().get(volume);
        Path dir = d.dirPath().orElseThrow(() -> org.qubesstorage.spi.StorageException.invalidConfiguration(
                "Domain " + d.name() + " has no dir_path"));
        Path image = remap(requireNonNull(recorded, "image"));
        org.qubesstorage.linux.ContainedFiles.requireRegularBeneath(remap(dir), image);
        return image;
    }

    public QubesXmlFile file() {
        return file;
    }

    public QubesXml model() {
        return file.document().model();
    }

    /**
     * A pool made from {@code attributes} and registered without {@code setup()}: for a dry run whose
     * target cannot be reached from here (no LVM on this machine), which still names volumes.
     */
    public org.qubesstorage.spi.Pool unsetUpPool(java.util.Map<String, String> attributes) {
        org.qubesstorage.spi.Pool pool = factory.create(attributes);
        pools.register(pool);
        return pool;
    }

    public PoolRegistry pools() {
        return pools;
    }

    public StorageHost host() {
        return host;
    }
}
