package org.qubesstorage.overlay.vm;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.tck.vm.TestVm;

/**
 * Boots the project's test VM and runs the overlay driver's in-VM classes there, which need the
 * device-mapper this host's kernel lacks: its layer format against the kernel's dm-snapshot, its
 * device stacks, the conformance kit over ext4 (the file system without reflink, which the driver
 * exists for), xfs and btrfs, the template chain scenarios, and starts, stops and commits killed
 * half-way. One boot for all of them; skips with the reason where qemu or a kernel image is missing.
 */
@DisplayName("The overlay driver in the test VM")
class OverlayInVmIT {
    @Test
    @DisplayName("layer format, device stacks, the conformance kit on three file systems, chains and crashes on real device-mapper")
    void layerFormat() throws Exception {
        TestVm.assumeAvailable();
        List<String> classes = List.of(InVmLayerFormat.class.getName(), InVmChainStack.class.getName(),
                InVmOverlayKitExt4.class.getName(), InVmOverlayKitXfs.class.getName(), InVmOverlayKitBtrfs.class.getName(),
                InVmOverlayChains.class.getName(), InVmOverlayCrashes.class.getName());
        // About 700 s on a quiet 2-core machine: the limit leaves room for a second build beside it.
        TestVm.runClasses("", classes, "1G", 2400);
    }
}
