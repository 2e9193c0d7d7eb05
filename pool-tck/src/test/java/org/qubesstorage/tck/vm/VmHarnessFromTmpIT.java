package org.qubesstorage.tck.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.tck.sample.SampleInstallation;

/**
 * The VM mounts its own tmpfs on {@code /tmp}; a checkout there (and its compiled classes) must
 * still be visible to the command the harness runs. This once failed with "Could not find or load
 * main class" for {@code ./qvm-to-lvm demo} run from {@code /tmp}.
 */
@DisplayName("The test VM harness from a checkout under /tmp")
class VmHarnessFromTmpIT {
    @Test
    @DisplayName("runs a test class whose class path and working directory are under /tmp")
    void fromTmp() throws Exception {
        TestVm.assumeAvailable();
        Path checkout = Files.createTempDirectory(Path.of("/tmp"), "qsj-checkout-");
        try {
            Path ownClasses = Path.of("target", "test-classes").toAbsolutePath();
            Path copied = checkout.resolve("test-classes");
            copyTree(ownClasses, copied);
            Files.writeString(checkout.resolve("marker"), "checkout under /tmp");
            List<String> classPath = new ArrayList<>();
            classPath.add(copied.toString());
            for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
                if (!Path.of(e).toAbsolutePath().equals(ownClasses)) {
                    classPath.add(e);
                }
            }
            String out = TestVm.runClasses(checkout, String.join(File.pathSeparator, classPath), "",
                    List.of(InVmWorkingDirectory.class.getName()), "1G", 300);
            assertThat(out).contains("seesItsCheckout");
        } finally {
            SampleInstallation.deleteTree(checkout);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }
}
