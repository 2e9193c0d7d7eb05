package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.xml.QubesXmlDocument;
import org.qubesstorage.xml.QubesXmlFile;
import org.qubesstorage.tck.sample.SampleInstallation;

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

    /**
     * Host only: every case is refused while qubes.xml is read, before any target is touched, so
     * real LVM adds nothing to it (and under the VM's emulated CPU it cost four minutes).
     */
    @Test
    @DisplayName("a hostile or broken qubes.xml (at least 200 generated cases) exits 2 with a message, writes nothing, creates no volume")
    void hostileCorpus() throws Exception {
        Path xml = fresh("hostile");
        String valid = Files.readString(xml);
        List<HostileCorpus.Case> cases = HostileCorpus.of(valid);
        assertThat(cases).hasSizeGreaterThanOrEqualTo(200);
        Set<String> volumesBefore = targetVolumes(xml);
        List<String> listingBefore = listing(xml.getParent());
        List<String> failures = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        for (HostileCorpus.Case c : cases) {
            Files.write(xml, c.content());
            ToolRun r = ToolRun.inProcess(args(xml, "--all", "--yes"));
            String first = (r.stderr() + r.stdout()).lines().findFirst().orElse("");
            if (r.exitCode() != c.expectedExit() || !r.stderr().startsWith("qvm-to-lvm: ")) {
                failures.add(c.name() + ": exit " + r.exitCode() + " " + first);
            }
            if (!java.util.Arrays.equals(Files.readAllBytes(xml), c.content())) {
                failures.add(c.name() + ": qubes.xml was written");
            }
            List<String> now = listing(xml.getParent());
            if (!now.equals(listingBefore)) {
                List<String> extra = new ArrayList<>(now);
                extra.removeAll(listingBefore);
                failures.add(c.name() + ": files appeared: " + extra);
                for (String e : extra.reversed()) {
                    SampleInstallation.deleteTree(xml.getParent().resolve(e));
                }
            }
            if (!targetVolumes(xml).equals(volumesBefore)) {
                failures.add(c.name() + ": target volumes changed: " + targetVolumes(xml));
            }
            messages.add(c.name() + " -> " + first);
        }
        System.out.println("hostile corpus: " + cases.size() + " cases\n  " + String.join("\n  ", messages));
        assertThat(failures).isEmpty();
        assertThat(targetVolumes(xml)).isEqualTo(volumesBefore);
    }

}
