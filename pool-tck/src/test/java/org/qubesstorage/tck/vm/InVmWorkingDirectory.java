package org.qubesstorage.tck.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Run inside the VM by {@link VmHarnessFromTmpIT} (the name keeps surefire and failsafe on the host
 * from running it): the checkout it was started from is visible, although it lies under {@code /tmp}.
 */
public class InVmWorkingDirectory {
    @Test
    void seesItsCheckout() throws Exception {
        assertThat(Path.of("/dev/mapper/control")).as("runs in the VM, with device-mapper").exists();
        assertThat(Files.readString(Path.of("marker"))).isEqualTo("checkout under /tmp");
    }
}
