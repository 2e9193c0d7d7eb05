package org.qubesstorage.overlay.vm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.overlay.OverlayDriver;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.tck.PoolConformanceKit;

/**
 * The conformance kit on the {@code overlay} driver with real device-mapper, its pool on a file
 * system of the subclass's choosing, made on a loop device for the class (run inside the VM by
 * {@link OverlayInVmIT}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class InVmOverlayKit extends PoolConformanceKit {
    private Path image;
    private Path mount;

    /** The file system: {@code ext4}, {@code xfs} or {@code btrfs}. */
    protected abstract String fileSystem();

    @BeforeAll
    void mountFileSystem() throws Exception {
        Path base = Files.createTempDirectory("overlay-" + fileSystem());
        image = base.resolve("fs.img");
        mount = Files.createDirectories(base.resolve("mnt"));
        InVmLayerFormat.Sh.run("truncate", "-s", "1G", image.toString());
        InVmLayerFormat.Sh.run("mkfs." + fileSystem(), fileSystem().equals("ext4") ? "-Fq" : "-q", image.toString());
        InVmLayerFormat.Sh.run("mount", "-o", "loop", image.toString(), mount.toString());
    }

    @AfterAll
    void unmountFileSystem() throws Exception {
        InVmLayerFormat.Sh.run("umount", mount.toString());
        Files.deleteIfExists(image);
    }

    @Override
    protected Pool createPool(Path scratch) throws Exception {
        // One directory for the class: the crash tests make a second pool object over the same storage.
        Path dir = Files.createDirectories(mount.resolve("pool"));
        Pool pool = new OverlayDriver().create(new PoolConfig("overlay", OverlayDriver.NAME, Map.of("dir_path", dir.toString())),
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), scratch.resolve("run")));
        pool.setup();
        return pool;
    }
}
