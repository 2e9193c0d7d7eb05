package org.qubesstorage.lvm.vm;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.tck.vm.TestVm;

/**
 * Boots the project's test VM ({@link TestVm}), makes a volume group with thin pools on a virtio
 * disk, and runs the in-VM test classes there in one JVM. Skips with the reason where qemu or a
 * kernel image is missing.
 */
@DisplayName("Real LVM in the test VM")
class LvmInVmIT {
    @Test
    @DisplayName("the conformance kit, crash recovery and space safety pass on real lvm2, and the file driver on real device-mapper")
    void kit() throws Exception {
        TestVm.assumeAvailable();
        TestVm.runClasses(TestVm.MAKE_VG, List.of(InVmLvmKit.class.getName(), InVmLvmScenarios.class.getName(),
                InVmFileKit.class.getName()), "4G");
    }
}
