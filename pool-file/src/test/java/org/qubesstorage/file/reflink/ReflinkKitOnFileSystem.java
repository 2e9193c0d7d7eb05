package org.qubesstorage.file.reflink;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.tck.PoolConformanceKit;
import org.qubesstorage.tck.ScratchFileSystem;

/** The kit against {@code file-reflink} on a real, loop-mounted file system of one type. */
abstract class ReflinkKitOnFileSystem extends PoolConformanceKit {
    private static final AtomicInteger POOLS = new AtomicInteger();
    private static ScratchFileSystem fs;
    private static String fsType;
    private Path poolDir;

    /** The file system type ("btrfs", "xfs", "ext4"). */
    protected abstract String fileSystem();

    protected boolean expectReflink() {
        return !fileSystem().equals("ext4");
    }

    private synchronized Path mount() throws Exception {
        if (fs == null || !fileSystem().equals(fsType)) {
            if (fs != null) {
                fs.close();
            }
            fs = ScratchFileSystem.create(fileSystem(), 1L << 30, Path.of("target", "scratch-fs").toAbsolutePath());
            fsType = fileSystem();
        }
        return fs.mountPoint();
    }

    @AfterAll
    static void unmount() throws Exception {
        if (fs != null) {
            fs.close();
            fs = null;
        }
    }

    @Override
    protected Pool createPool(Path scratch) throws Exception {
        if (poolDir == null) {
            poolDir = mount().resolve("pool" + POOLS.incrementAndGet());
        }
        Map<String, String> params = new LinkedHashMap<>();
        params.put("dir_path", poolDir.toString());
        params.put("setup_check", expectReflink() ? "True" : "False");
        Pool pool = new ReflinkDriver().create(new PoolConfig("tck-" + fileSystem(), ReflinkDriver.NAME, params),
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), scratch.resolve("run")));
        pool.setup();
        return pool;
    }
}
