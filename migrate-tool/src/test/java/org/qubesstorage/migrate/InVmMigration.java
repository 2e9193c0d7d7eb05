package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.spi.Command;

/**
 * The migration scenarios into a real LVM thin pool, run by {@link MigrateInVmIT} inside the test
 * VM (the name keeps surefire and failsafe on the host from running it). The VM's command made
 * volume group {@code qtest} with thin pools {@code tpool} (2 GiB) and {@code tiny} (8 MiB).
 */
@DisplayName("qvm-to-lvm into a real LVM thin pool (in the VM)")
public class InVmMigration extends MigrationScenarios {
    private static final ExecCommandRunner COMMANDS = new ExecCommandRunner();

    /** Every scenario starts from an empty volume group (LV names are VG-wide, so leftovers would conflict). */
    @AfterEach
    void removeLeftoverVolumes() {
        for (String lv : targetVolumes(null)) {
            COMMANDS.run(Command.of("lvm", "lvremove", "-q", "-f", "--", "qtest/" + lv));
        }
        assertThat(targetVolumes(null)).isEmpty();
    }

    @Override
    List<String> targetArgs() {
        return List.of("--vg", "qtest", "--thin-pool", "tpool");
    }

    @Override
    String targetPoolName() {
        return "vm-pool";
    }

    @Override
    void prepare(Path qubesXml) {
        // the target is added to qubes.xml by the tool itself (--vg/--thin-pool)
    }

    @Override
    Set<String> targetVolumes(Path qubesXml) {
        String out = COMMANDS.run(Command.of("lvm", "lvs", "--noheadings", "-o", "lv_name", "--", "qtest"))
                .requireSuccess("lvs").stdout();
        Set<String> names = new TreeSet<>();
        out.lines().map(String::strip).filter(n -> !n.isEmpty() && !n.equals("tpool") && !n.equals("small") && !n.equals("tiny"))
                .forEach(names::add);
        return names;
    }

    @Override
    Path targetData(Path qubesXml, String vid) {
        return Path.of("/dev", vid);
    }

    @Override
    int sampleDivisor() {
        return 4; // under TCG every volume's verification reads all of the new LV back
    }

    @Override
    int killSampleDivisor() {
        return 8; // under TCG every volume's verification reads all of the new LV back
    }

    /**
     * The host visits 22 points on the same journal and commit paths; here only the two whose state
     * differs on real LVM: a half-written new LV not yet renamed to its final name, and qubes.xml
     * mid-save after the LVs were committed.
     */
    @Override
    List<Integer> killPointsToVisit(List<String> points) {
        List<Integer> chosen = new java.util.ArrayList<>();
        for (String prefix : List.of("mid-copy ", "mid-save ")) {
            for (int i = 0; i < points.size(); i++) {
                if (points.get(i).startsWith(prefix)) {
                    chosen.add(i + 1);
                    break;
                }
            }
        }
        assertThat(chosen).as("points traced: " + points).hasSize(2);
        return chosen;
    }

    @Override
    int directRollbackEvery() {
        return 2; // every point is resumed and then rolled back; the first is also rolled back straight after the kill
    }

    @Override
    boolean runsEveryScenario() {
        return false; // TCG makes each scenario cost 20-45 s here; the host runs them all
    }

    @Override
    boolean migratesLegacy() {
        return true;
    }

    @Test
    @DisplayName("a thin pool without room for the data is refused up front (exit 3): nothing written, no LV created")
    void refusedForSpace() throws IOException {
        Path xml = fresh("space");
        byte[] original = Files.readAllBytes(xml);
        List<String> listing = listing(xml.getParent());
        Set<String> before = targetVolumes(xml);
        ToolRun r = ToolRun.inProcess("--qubes-xml", xml.toString(), "--vg", "qtest", "--thin-pool", "tiny", "--pool-name", "tiny",
                "--all", "--yes");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.stderr()).contains("Refused: Pool tiny (qtest/tiny): data usage", "90.0 % limit");
        assertThat(Files.readAllBytes(xml)).isEqualTo(original);
        assertThat(listing(xml.getParent())).isEqualTo(listing);
        assertThat(targetVolumes(xml)).isEqualTo(before);
    }
}
