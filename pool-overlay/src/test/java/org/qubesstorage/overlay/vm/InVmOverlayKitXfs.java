package org.qubesstorage.overlay.vm;

import org.junit.jupiter.api.DisplayName;

/** The conformance kit on {@code overlay} over xfs (in the VM). */
@DisplayName("overlay driver over xfs with real device-mapper (in the VM)")
public class InVmOverlayKitXfs extends InVmOverlayKit {
    @Override
    protected String fileSystem() {
        return "xfs";
    }
}
