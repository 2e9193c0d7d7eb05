package org.qubesstorage.overlay.vm;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.tck.vm.TestVm;

/**
 * Boots the project's test VM and runs the overlay driver's in-VM classes there, which need the
 * device-mapper this host's kernel lacks: its layer format against the kernel's dm-snapshot, its
 * device stacks, the conformance kit over ext4 (the file system without reflink, which the driver
 * exists for), the template chain scenarios, and starts and stops killed half-way. {@code -Doverlay.vm.allFileSystems=true} adds the
 * kit over xfs and btrfs (about 100 s each under the VM's emulated CPU, which the CI time limit
 * does not leave room for). Skips with the reason where
 * qemu or a kernel image is missing.
 */
@DisplayName("The overlay driver in the test VM")
class OverlayInVmIT {
    @Test
    @DisplayName("layer format, device stacks, the conformance kit and template chains on real device-mapper")
    void layerFormat() throws Exception {
        TestVm.assumeAvailable();
        List<String> classes = new ArrayList<>(List.of(InVmLayerFormat.class.getName(), InVmChainStack.class.getName(),
                InVmOverlayKitExt4.class.getName(), InVmOverlayChains.class.getName(), InVmOverlayCrashes.class.getName()));
        if (Boolean.getBoolean("overlay.vm.allFileSystems")) {
            classes.addAll(List.of(InVmOverlayKitXfs.class.getName(), InVmOverlayKitBtrfs.class.getName()));
        }
        TestVm.runClasses("", classes, "1G", 1200);
    }
}
