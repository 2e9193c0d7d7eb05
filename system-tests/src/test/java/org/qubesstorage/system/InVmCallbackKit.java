package org.qubesstorage.system;

import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.tck.PoolConformanceKit;

/**
 * The whole kit on the callback plugin wrapping {@code lvm_thin} on real lvm2, run inside the VM by
 * {@link ToolsAndPluginsInVmIT} (volume group {@code qtest}, thin pool {@code tpool}); every hook
 * runs a real process through the generic {@code cmd}.
 */
@DisplayName("The conformance kit on the callback plugin wrapping lvm_thin (in the VM)")
public class InVmCallbackKit extends PoolConformanceKit {
    @Override
    protected Pool createPool(Path scratch) throws Exception {
        // /bin/true rather than a logging script: every hook still starts a process, at the least cost
        // under the VM's emulated CPU; CallbackHooksIT checks what the commands receive.
        Pool pool = CallbackPlugin.pool(scratch, """
                {"lvm": {"bdriver": "lvm_thin", "bdriver_args": {"volume_group": "qtest", "thin_pool": "tpool"}, "cmd": ["/bin/true"]}}
                """, "callback-lvm", "lvm");
        pool.setup();
        return pool;
    }
}
