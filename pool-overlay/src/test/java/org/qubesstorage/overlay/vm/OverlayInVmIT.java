package org.qubesstorage.overlay.vm;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.tck.vm.TestVm;

/**
 * Boots the project's test VM and runs the overlay driver's in-VM classes there: its layer format
 * against the kernel's dm-snapshot and its device stacks, which this host's kernel lacks. Skips with the reason where
 * qemu or a kernel image is missing.
 */
@DisplayName("The overlay layer format in the test VM")
class OverlayInVmIT {
    @Test
    @DisplayName("layers written in Java and by the kernel read the same on both sides; a chain stacks and unstacks")
    void layerFormat() throws Exception {
        TestVm.assumeAvailable();
        TestVm.runClasses("", List.of(InVmLayerFormat.class.getName(), InVmChainStack.class.getName()), "1G", 600);
    }
}
