package org.qubesstorage.migrate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.qubesstorage.copy.SparseCopier;
import org.qubesstorage.tck.sample.SampleInstallation;

/** Sample installations for tests: one built per test class, copied (sparsely) for each test. */
final class Installations {
    private static final SparseCopier COPIER = new SparseCopier();

    private Installations() {}

    /** Copies the installation at {@code pristine} to {@code to}, pointing its qubes.xml at the copy. */
    static Path copy(Path pristine, Path to) throws IOException {
        SampleInstallation.run(List.of("cp", "-a", "--sparse=always", "--", pristine.toString(), to.toString()));
        Path xml = to.resolve("qubes.xml");
        Files.writeString(xml, Files.readString(xml).replace("\"" + pristine.toAbsolutePath(), "\"" + to.toAbsolutePath()));
        return xml;
    }

    /** Content digests of every source image under {@code dir} (a host target pool's directory left out), by relative path. */
    static Map<String, String> imageDigests(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.filter(f -> f.toString().endsWith(".img") && Files.isRegularFile(f)
                    && !dir.relativize(f).startsWith("target-pool")).toList()) {
                m.put(dir.relativize(p).toString(), COPIER.digestOf(p));
            }
        }
        return m;
    }

    static String digest(Path p) {
        return COPIER.digestOf(p);
    }
}
