package org.qubesstorage.migrate;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.tck.vm.TestVm;

/**
 * Boots the project's test VM and runs {@link InVmMigration} there: the migration tool against real
 * lvm2 and device-mapper. Skips with the reason where qemu or a kernel image is missing.
 */
@DisplayName("qvm-to-lvm on real LVM in the test VM")
class MigrateInVmIT {
    @Test
    @DisplayName("end to end, kill test (2 points), legacy file and space refusal pass on real lvm2")
    void migration() throws Exception {
        TestVm.assumeAvailable();
        TestVm.runClasses(TestVm.MAKE_VG + "lvcreate -q --type thin-pool -L 8M -n tiny qtest\n",
                List.of(InVmMigration.class.getName()), "4G", 1500);
    }
}
