package org.qubesstorage.system;

import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.tck.PoolConformanceKit;

/**
 * The whole kit on the callback plugin wrapping {@code lvm_thin} on real lvm2, run inside the VM by
 * {@link ToolsAndPluginsInVmIT} (volume group {@code qtest}, thin pool {@code tpool}).
 */
@DisplayName("The conformance kit on the callback plugin wrapping lvm_thin (in the VM)")
public class InVmCallbackKit extends PoolConformanceKit {
    @Override
    protected Pool createPool(Path scratch) throws Exception {
        // No commands: a process per hook costs seconds per test under the VM's emulated CPU, and the
        // host runs (CallbackHooksIT, CallbackPluginKitIT) check the commands; this run checks the wrapping.
        Pool pool = CallbackPlugin.pool(scratch, """
                {"lvm": {"bdriver": "lvm_thin", "bdriver_args": {"volume_group": "qtest", "thin_pool": "tpool"}}}
                """, "callback-lvm", "lvm");
        pool.setup();
        return pool;
    }
}
