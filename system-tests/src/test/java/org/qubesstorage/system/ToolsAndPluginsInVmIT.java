package org.qubesstorage.system;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.tck.vm.TestVm;

/**
 * One boot of the project's test VM for what needs device-mapper and lvm2 beyond a single driver:
 * the callback plugin (loaded from its plugin directory) wrapping lvm_thin through the whole kit,
 * a callback pool living in a LUKS container its commands unlock, ephemeral volatile volumes on
 * lvm_thin, file-reflink, overlay, file and callback, {@code qubes-storage dedup}'s reports on
 * lvm_thin and overlay, and {@code qubes-storage start}/{@code stop} on overlay. Skips with the reason where qemu or a kernel image is missing.
 */
@DisplayName("The callback plugin and qubes-storage in the test VM")
class ToolsAndPluginsInVmIT {
    @Test
    @DisplayName("callback over lvm_thin and LUKS, ephemeral volumes on five drivers, dedup reports, start and stop")
    void inVm() throws Exception {
        TestVm.assumeAvailable();
        TestVm.runClasses(TestVm.MAKE_VG, List.of(InVmCallbackKit.class.getName(), InVmCallbackLuks.class.getName(),
                InVmEphemeral.class.getName(), "org.qubesstorage.cli.InVmDedupReports",
                "org.qubesstorage.cli.InVmDomainRun"), "4G", 1800);
    }
}
