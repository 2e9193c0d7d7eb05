package org.qubesstorage.overlay.vm;

import org.junit.jupiter.api.DisplayName;

/** The conformance kit on {@code overlay} over btrfs (in the VM). */
@DisplayName("overlay driver over btrfs with real device-mapper (in the VM)")
public class InVmOverlayKitBtrfs extends InVmOverlayKit {
    @Override
    protected String fileSystem() {
        return "btrfs";
    }
}
