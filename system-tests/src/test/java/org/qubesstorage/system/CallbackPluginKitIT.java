package org.qubesstorage.system;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.tck.PoolConformanceKit;
import org.qubesstorage.tck.ScratchFileSystem;

/**
 * The whole kit against {@code callback} wrapping {@code file-reflink} on a real btrfs, the plugin
 * loaded from its directory, every hook running a real script through the generic {@code cmd}:
 * wrapping must change nothing a driver's user can observe, capabilities included.
 */
@DisplayName("The conformance kit on the callback plugin wrapping file-reflink on btrfs")
class CallbackPluginKitIT extends PoolConformanceKit {
    private static ScratchFileSystem fs;
    private Path poolDir;

    @AfterAll
    static void unmount() throws Exception {
        if (fs != null) {
            fs.close();
            fs = null;
        }
    }

    @Override
    protected Pool createPool(Path scratch) throws Exception {
        if (fs == null) {
            fs = ScratchFileSystem.create("btrfs", 1L << 30, Path.of("target", "scratch-fs").toAbsolutePath());
        }
        if (poolDir == null) {
            poolDir = Files.createTempDirectory(fs.mountPoint(), "pool");
        }
        Path script = CallbackPlugin.loggingScript(scratch, scratch.resolve("callback.log"));
        Pool pool = CallbackPlugin.pool(scratch, """
                {"kit": {"bdriver": "file-reflink", "bdriver_args": {"dir_path": "%s"}, "cmd": ["%s"]}}
                """.formatted(poolDir, script), "callback-kit", "kit");
        pool.setup();
        return pool;
    }
}
