package org.qubesstorage.tck.vm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;

/**
 * The VM harness scripts this jar carries (copied from the repository's {@code test-harness/vm} at
 * build time), written out where {@code run-in-vm.sh} can run them. A test therefore finds the
 * harness through its class path, from any working directory and from a plugin author's own
 * repository.
 */
final class VmHarness {
    private static final String RESOURCES = "/org/qubesstorage/tck/vm/harness/";
    private static final List<String> SCRIPTS = List.of("run-in-vm.sh", "vm-init.sh");

    private VmHarness() {}

    /**
     * Writes the scripts into {@code dir}, leaving a file that already has the same content
     * untouched (the harness rebuilds its initramfs when {@code vm-init.sh} is newer than it), and
     * returns the path of {@code run-in-vm.sh}.
     */
    static Path extract(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : SCRIPTS) {
            byte[] content;
            try (InputStream in = VmHarness.class.getResourceAsStream(RESOURCES + name)) {
                if (in == null) {
                    throw new IllegalStateException("pool-tck's jar lacks the VM harness script " + name + " (a broken build)");
                }
                content = in.readAllBytes();
            }
            Path file = dir.resolve(name);
            if (!Files.exists(file) || !Arrays.equals(Files.readAllBytes(file), content)) {
                Path tmp = Files.createTempFile(dir, name, ".tmp");
                Files.write(tmp, content);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        return dir.resolve(SCRIPTS.getFirst());
    }
}
