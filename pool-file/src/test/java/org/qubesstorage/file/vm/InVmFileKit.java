package org.qubesstorage.file.vm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.qubesstorage.file.legacy.FileDriver;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.tck.PoolConformanceKit;

/**
 * The conformance kit on the legacy {@code file} driver with its real device-mapper stacking
 * (loop devices, snapshot-origin, persistent snapshots), run by {@link FileInVmIT} inside the test VM,
 * where device-mapper exists.
 */
@DisplayName("file driver with real device-mapper (in the VM)")
public class InVmFileKit extends PoolConformanceKit {
    private Path dir;

    @Override
    protected int revisionsToKeepForTests() {
        return 1; // the file driver keeps at most one revision ("old")
    }

    @Override
    protected Pool createPool(Path scratch) throws Exception {
        if (dir == null) {
            dir = Files.createDirectories(scratch.resolve("file-pool"));
        }
        return filePool(dir, scratch.resolve("run"));
    }

    /** A set-up {@code file} pool in {@code dir} running the real losetup and dmsetup. */
    static Pool filePool(Path dir, Path runDir) {
        Pool pool = new FileDriver().create(new PoolConfig("file", FileDriver.NAME, Map.of("dir_path", dir.toString())),
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), runDir));
        pool.setup();
        return pool;
    }
}
