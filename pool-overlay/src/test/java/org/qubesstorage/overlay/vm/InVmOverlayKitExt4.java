package org.qubesstorage.overlay.vm;

import org.junit.jupiter.api.DisplayName;

/** The conformance kit on {@code overlay} over ext4 (in the VM). */
@DisplayName("overlay driver over ext4 with real device-mapper (in the VM)")
public class InVmOverlayKitExt4 extends InVmOverlayKit {
    @Override
    protected String fileSystem() {
        return "ext4";
    }
}
