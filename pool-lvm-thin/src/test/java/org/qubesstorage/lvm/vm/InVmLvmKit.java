package org.qubesstorage.lvm.vm;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.lvm.ThinDriver;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.tck.PoolConformanceKit;

/**
 * The conformance kit on real lvm2, run by {@link LvmInVmIT} inside the test VM (the name keeps
 * surefire and failsafe on the host from running it). The VM's command made volume group
 * {@code qtest} with thin pool {@code tpool} on {@code /dev/vda}.
 */
@DisplayName("lvm_thin on real LVM (in the VM)")
public class InVmLvmKit extends PoolConformanceKit {
    static final String VG = System.getProperty("qubes.test.vg", "qtest");
    static final String THIN_POOL = System.getProperty("qubes.test.thinpool", "tpool");

    @Override
    protected Pool createPool(Path scratch) {
        Pool pool = new ThinDriver().create(new PoolConfig("vm-pool", ThinDriver.NAME,
                Map.of("volume_group", VG, "thin_pool", THIN_POOL)),
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), scratch.resolve("run")));
        pool.setup();
        return pool;
    }
}
