package org.qubesstorage.migrate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.qubesstorage.xml.QubesXmlDocument;
import org.qubesstorage.xml.QubesXmlFile;

/**
 * The migration scenarios on the host, into a {@code file-reflink} pool in the installation's own
 * directory (real sparse files; no root or device-mapper needed). The same scenarios run into a
 * real LVM thin pool in the test VM ({@link MigrateInVmIT}).
 */
@DisplayName("qvm-to-lvm into a file-reflink pool (host)")
class MigrationIT extends MigrationScenarios {
    @Override
    List<String> targetArgs() {
        return List.of("--pool", "target");
    }

    @Override
    void prepare(Path qubesXml) throws IOException {
        Path dir = Files.createDirectories(qubesXml.getParent().resolve("target-pool"));
        QubesXmlFile file = QubesXmlFile.load(qubesXml);
        QubesXmlDocument doc = file.document().withPool(Map.of("name", "target", "driver", "file-reflink", "dir_path", dir.toString()));
        file.save(doc, java.util.Optional.empty());
    }

    @Override
    Set<String> targetVolumes(Path qubesXml) throws IOException {
        Path root = qubesXml.getParent().resolve("target-pool");
        Set<String> vids = new TreeSet<>();
        if (Files.exists(root)) {
            try (var walk = Files.walk(root)) {
                walk.filter(Files::isRegularFile).forEach(p -> vids.add(root.relativize(p).toString()));
            }
        }
        return vids;
    }

    @Override
    Path targetData(Path qubesXml, String vid) {
        return qubesXml.getParent().resolve("target-pool").resolve(vid + ".img");
    }

    @Override
    boolean migratesLegacy() {
        return false; // a legacy file names no pools: its target is an LVM thin pool (the VM runs that part)
    }
}
