package org.qubesstorage.file.vm;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.tck.vm.TestVm;

/**
 * Boots the project's test VM ({@link TestVm}) and runs the {@code file} driver's in-VM classes
 * there: the conformance kit, the scenarios on real loop devices and device-mapper snapshots, and
 * {@code DeviceMapper}'s ioctls, which this host's kernel lacks. Skips with the reason where qemu
 * or a kernel image is missing.
 */
@DisplayName("The file driver in the test VM")
class FileInVmIT {
    @Test
    @DisplayName("the conformance kit and device-mapper scenarios pass on real dm-snapshots")
    void kit() throws Exception {
        TestVm.assumeAvailable();
        TestVm.runClasses("", List.of(InVmFileKit.class.getName(), InVmFileScenarios.class.getName(),
                InVmDeviceMapper.class.getName(), InVmDeviceMapperUnderUdev.class.getName()), "1G");
    }
}
