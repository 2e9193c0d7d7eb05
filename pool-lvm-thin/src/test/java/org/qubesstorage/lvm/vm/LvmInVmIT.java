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
    @DisplayName("the conformance kit, crash recovery, space safety and a cross-pool import pass on real lvm2")
    void kit() throws Exception {
        TestVm.assumeAvailable();
        // About 330 s on a quiet 2-core machine; the limit leaves room for a busy one.
        TestVm.runClasses(TestVm.MAKE_VG, List.of(InVmLvmKit.class.getName(), InVmLvmScenarios.class.getName()), "4G", 1800);
    }
}
