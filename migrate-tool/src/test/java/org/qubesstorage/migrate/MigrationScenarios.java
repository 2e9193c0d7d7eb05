package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.facade.DomainStorage;
import org.qubesstorage.facade.RunningState;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.xml.QubesXml;
import org.qubesstorage.xml.QubesXmlFile;
import org.qubesstorage.tck.LocalDeviceMapper;
import org.qubesstorage.tck.sample.SampleInstallation;

/**
 * The migration tool's behaviour, against a target the subclass provides: a file-reflink pool on
 * the host ({@code MigrationIT}) or a real LVM thin pool in the test VM ({@code InVmMigration}).
 * Every scenario starts from a fresh copy of one {@link SampleInstallation}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MigrationScenarios {
    /** How many kill points the kill test visits. */
    static final int KILL_POINTS = 22;

    Path pristine;

    @TempDir
    Path temp;

    /** The target options (for example {@code --pool target}). */
    abstract List<String> targetArgs();

    /** Makes {@code qubesXml}'s installation ready for the target (adds a pool, say). */
    abstract void prepare(Path qubesXml) throws IOException;

    /** The target pool's volumes (vids) that exist now. */
    abstract Set<String> targetVolumes(Path qubesXml) throws IOException;

    /** Where a target volume's data can be read. */
    abstract Path targetData(Path qubesXml, String vid);

    /** How much smaller than the demo's the scenarios' installation is. */
    int sampleDivisor() {
        return 1;
    }

    @BeforeAll
    void buildPristine() throws IOException {
        pristine = Files.createTempDirectory("qvm-to-lvm-pristine-");
        prepare(SampleInstallation.build(pristine, sampleDivisor()));
    }

    @AfterAll
    void removePristine() throws IOException {
        SampleInstallation.deleteTree(pristine);
    }

    Path fresh(String name) throws IOException {
        return Installations.copy(pristine, temp.resolve(name));
    }

    String[] args(Path xml, String... more) {
        List<String> a = new ArrayList<>(List.of("--qubes-xml", xml.toString()));
        a.addAll(targetArgs());
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** Content digest of every volume that holds data, per "domain/volume", read through the vids the file records. */
    Map<String, String> dataDigests(Path xml, boolean fromTarget) {
        QubesXml model = QubesXmlFile.load(xml).document().model();
        Map<String, String> m = new TreeMap<>();
        for (var d : model.domains()) {
            for (var v : d.volumes().entrySet()) {
                if (!"True".equals(v.getValue().get("save_on_stop"))) {
                    continue;
                }
                String vid = v.getValue().get("vid");
                Path data = fromTarget ? targetData(xml, vid) : xml.getParent().resolve(vid + ".img");
                m.put(d.name() + "/" + v.getKey(), Installations.digest(data));
            }
        }
        return m;
    }

    @Test
    @DisplayName("end to end: every data volume equals its source, and every domain starts and stops from the new qubes.xml")
    void endToEnd() throws Exception {
        Path xml = fresh("e2e");
        Map<String, String> before = dataDigests(xml, false);
        Map<String, String> sources = Installations.imageDigests(xml.getParent());
        ToolRun r = ToolRun.inProcess(args(xml, "--all", "--yes", "--json"));
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stderr()).contains("6 of 6", "migrated in ", "Elapsed: ");
        assertDomainTimesCoverTheirCopies(new ObjectMapper().readTree(r.stdout()));
        assertThat(dataDigests(xml, true)).isEqualTo(before);
        assertThat(Installations.imageDigests(xml.getParent())).as("sources are never changed").isEqualTo(sources);
        QubesXml model = QubesXmlFile.load(xml).document().model();
        for (var d : model.domains()) {
            d.volumes().forEach((name, attrs) -> {
                if (!name.equals("kernel")) {
                    assertThat(attrs.get("pool")).as(d.name() + ":" + name).isEqualTo(targetPoolName());
                }
            });
        }
        startAndStopAll(xml);
    }

    /** Each migrated domain's time spans its volumes' copies, and the run's elapsed time spans all domains. */
    static void assertDomainTimesCoverTheirCopies(JsonNode doc) {
        Map<String, Long> copyMillis = new TreeMap<>();
        doc.at("/result/volumes").forEach(v -> copyMillis.merge(v.get("domain").asText(), v.get("millis").asLong(), Long::sum));
        long domainsMillis = 0;
        for (JsonNode d : doc.at("/result/domains")) {
            String name = d.get("domain").asText();
            if (d.get("outcome").asText().equals("migrated")) {
                // a domain with nothing to copy (a DispVM: only re-pointed) may take under a millisecond
                assertThat(d.get("millis").asLong()).as(name).isNotNegative().isGreaterThanOrEqualTo(copyMillis.getOrDefault(name, 0L));
                domainsMillis += d.get("millis").asLong();
            } else {
                assertThat(d.has("millis")).as(name + " was not migrated: no time").isFalse();
            }
        }
        assertThat(doc.get("elapsedMillis").asLong()).isGreaterThanOrEqualTo(domainsMillis);
    }

    String targetPoolName() {
        return targetArgs().get(1);
    }

    static void startAndStopAll(Path xml) throws IOException {
        Path run = Files.createTempDirectory("qvm-run-");
        Installation inst = Installation.load(xml, Optional.empty(),
                DriverRegistry.load(MigrationScenarios.class.getClassLoader(), Optional.empty()), new RunningState(run));
        assertThat(inst.pools().problems()).isEmpty();
        for (String name : SampleInstallation.DOMAINS) {
            DomainStorage ds = inst.host().domain(name);
            ds.start();
            assertThat(ds.blockDevices()).isNotEmpty();
            ds.stop();
        }
        SampleInstallation.deleteTree(run);
    }

    @Test
    @DisplayName("--dry-run --json describes the plan and touches nothing")
    void dryRun() throws Exception {
        assumeTrue(runsEveryScenario(), ON_THE_HOST);
        Path xml = fresh("dry");
        Map<String, String> sources = Installations.imageDigests(xml.getParent());
        byte[] original = Files.readAllBytes(xml);
        Set<String> targetBefore = targetVolumes(xml);
        List<String> filesBefore = listing(xml.getParent());
        ToolRun r = ToolRun.inProcess(args(xml, "--all", "--dry-run", "--json"));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        JsonNode plan = org.qubesstorage.migrate.json.Wire.tree(r.stdout()).get("plan");
        assertThat(plan.get("format").asText()).isEqualTo("R4");
        assertThat(plan.get("domains")).hasSize(5);
        assertThat(plan.get("domains").get(0).get("name").asText()).isEqualTo("debian-12");
        // "template" names the template (a TemplateVM has none), not whether the domain is one
        assertThat(plan.get("domains").get(0).has("template")).isFalse();
        assertThat(plan.get("domains").findValues("template")).isNotEmpty().allSatisfy(t -> assertThat(t.isTextual()).isTrue());
        assertThat(plan.get("domains").findValuesAsText("template")).contains("debian-12");
        assertThat(plan.get("space").has("refusal")).isFalse();
        assertThat(r.stderr()).contains("Plan:", "copy", "re-point");
        assertThat(Files.readAllBytes(xml)).isEqualTo(original);
        assertThat(listing(xml.getParent())).isEqualTo(filesBefore);
        assertThat(targetVolumes(xml)).isEqualTo(targetBefore);
        assertThat(Installations.imageDigests(xml.getParent())).isEqualTo(sources);
    }

    static List<String> listing(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            return walk.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    @DisplayName("an AppVM whose template stays keeps its root snapshot in the template's pool, and the plan says why")
    void templateStaysBehind() throws Exception {
        assumeTrue(runsEveryScenario(), ON_THE_HOST);
        Path xml = fresh("partial");
        ToolRun r = ToolRun.inProcess(args(xml, "work", "--yes"));
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).contains("a snapshot volume lives in its source's pool", "debian-12 is not migrated in this run");
        var work = QubesXmlFile.load(xml).document().model().domain("work").orElseThrow().volumes();
        assertThat(work.get("root").get("pool")).isEqualTo("varlibqubes");
        assertThat(work.get("private").get("pool")).isEqualTo(targetPoolName());
        assertThat(work.get("volatile").get("pool")).isEqualTo(targetPoolName());
        if (LocalDeviceMapper.usable()) {
            startAndStopAll(xml); // work's root is still a file-pool snapshot: starting it needs device-mapper
        }
    }

    @Test
    @DisplayName("a domain named by --running is skipped (exit 1), an image held open is refused (exit 3 when nothing else moves)")
    void runningDomains() throws Exception {
        assumeTrue(runsEveryScenario(), ON_THE_HOST);
        Path xml = fresh("running");
        byte[] original = Files.readAllBytes(xml);
        ToolRun r = ToolRun.inProcess(args(xml, "standalone", "work", "--running", "work", "--yes"));
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(ExitCodes.PARTIAL);
        assertThat(r.stdout()).contains("work", "named by --running", "skipped");
        var model = QubesXmlFile.load(xml).document().model();
        assertThat(model.domain("work").orElseThrow().volumes().get("private").get("pool")).isEqualTo("varlibqubes");
        assertThat(model.domain("standalone").orElseThrow().volumes().get("private").get("pool")).isEqualTo(targetPoolName());

        Path xml2 = fresh("open");
        Path image = xml2.getParent().resolve("appvms/default-dvm/private.img");
        Process holder = new ProcessBuilder("bash", "-c", "exec 3<\"$0\"; sleep 120", image.toString()).start();
        try {
            Thread.sleep(300);
            byte[] before = Files.readAllBytes(xml2);
            ToolRun held = ToolRun.inProcess(args(xml2, "default-dvm", "--yes"));
            assertThat(held.exitCode()).as(held.stdout() + held.stderr()).isEqualTo(ExitCodes.REFUSED);
            assertThat(held.stdout()).contains("is open by pid " + holder.pid());
            assertThat(Files.readAllBytes(xml2)).isEqualTo(before);
        } finally {
            holder.destroyForcibly().waitFor();
        }
        assertThat(original).isNotEmpty();
    }

    @Test
    @DisplayName("--remove-source deletes the old images only after the switch; domains based on a moved template move their snapshots with it")
    void removeSource() throws Exception {
        assumeTrue(runsEveryScenario(), ON_THE_HOST);
        Path xml = fresh("remove");
        Path dir = xml.getParent();
        ToolRun r = ToolRun.inProcess(args(xml, "debian-12", "standalone", "--remove-source", "--yes"));
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).contains("work:root, default-dvm:root, disp42:root start from debian-12's volumes");
        assertThat(dir.resolve("appvms/standalone/root.img")).doesNotExist();
        assertThat(dir.resolve("appvms/standalone/private.img")).doesNotExist();
        assertThat(dir.resolve("vm-templates/debian-12/private.img")).doesNotExist();
        assertThat(dir.resolve("vm-templates/debian-12/root.img")).doesNotExist();
        assertThat(dir.resolve("appvms/work/private.img")).as("work was not selected").exists();
        var work = QubesXmlFile.load(xml).document().model().domain("work").orElseThrow().volumes();
        assertThat(work.get("root")).containsEntry("pool", targetPoolName());
        assertThat(work.get("private")).containsEntry("pool", "varlibqubes");
        if (LocalDeviceMapper.usable()) {
            startAndStopAll(xml); // work's private is still in the file pool: starting it needs device-mapper
        }
        ToolRun rollback = ToolRun.inProcess("--qubes-xml", xml.toString(), "--rollback");
        assertThat(rollback.exitCode()).isEqualTo(ExitCodes.PARTIAL);
        assertThat(rollback.stdout()).contains("kept as migrated - its source images were removed");
    }

    @Test
    @DisplayName("a legacy R2/R3 file is copied from dir_path images, never written, and the R4 entries are printed")
    void legacy() throws Exception {
        Path dir = fresh("legacy").getParent();
        Path xml = dir.resolve("qubes-r2.xml");
        String d = dir.toAbsolutePath().toString();
        Files.writeString(xml, """
                <QubesVmCollection updatevm="3" default_kernel="3.7.6-2" default_template="1" clockvm="2">
                  <QubesTemplateVm qid="1" name="fedora-20-x64" template_qid="none" dir_path="%s/vm-templates/debian-12" root_img="root.img" private_img="private.img" volatile_img="volatile.img"/>
                  <QubesAppVm qid="5" name="test-work" template_qid="1" dir_path="%s/appvms/work"/>
                  <QubesAppVm qid="11" name="test-standalonevm" template_qid="none" dir_path="%s/appvms/standalone"/>
                  <QubesDisposableVm dispid="50" qid="15" template_qid="1"/>
                </QubesVmCollection>
                """.formatted(d, d, d));
        byte[] original = Files.readAllBytes(xml);
        ToolRun dry = ToolRun.inProcess(legacyArgs(xml, "--all", "--dry-run", "--json"));
        // Where the thin pool cannot be reached (the host), the plan is shown whole and refused:
        // its space could not be checked.
        assertThat(dry.exitCode()).as(dry.stderr()).isEqualTo(migratesLegacy() ? ExitCodes.DONE : ExitCodes.REFUSED);
        if (!migratesLegacy()) {
            assertThat(dry.stderr()).contains("not checked", "the plan above is complete");
        }
        JsonNode plan = org.qubesstorage.migrate.json.Wire.tree(dry.stdout()).get("plan");
        assertThat(plan.get("format").asText()).isEqualTo("LEGACY_R2_R3");
        assertThat(plan.get("domains").findValuesAsText("name")).contains("fedora-20-x64", "test-work", "test-standalonevm");
        assertThat(Files.readAllBytes(xml)).isEqualTo(original);
        org.junit.jupiter.api.Assumptions.assumeTrue(migratesLegacy(), "a legacy file's target is an LVM thin pool: the VM runs the copy");
        ToolRun r = ToolRun.inProcess(legacyArgs(xml, "--all", "--yes"));
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).contains("legacy R2/R3 file: it is never written", "<volume-config>", "name=\"private\"",
                "snap_on_start=\"True\"");
        assertThat(Files.readAllBytes(xml)).isEqualTo(original);
        ToolRun remove = ToolRun.inProcess(legacyArgs(xml, "--all", "--yes", "--remove-source"));
        assertThat(remove.exitCode()).isEqualTo(ExitCodes.INPUT);
        ToolRun rollback = ToolRun.inProcess("--qubes-xml", xml.toString(), "--rollback");
        assertThat(rollback.exitCode()).as(rollback.stdout() + rollback.stderr()).isZero();
    }

    /** A legacy file names no pools: its target is always --vg/--thin-pool (in the VM: the real one). */
    String[] legacyArgs(Path xml, String... more) {
        List<String> a = new ArrayList<>(List.of("--qubes-xml", xml.toString(), "--vg", "qtest", "--thin-pool", "tpool"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** Whether this target can run a legacy file's copy (it needs the real thin pool). */
    abstract boolean migratesLegacy();

    static final String ON_THE_HOST = "runs on the host (MigrationIT): the same planning, journal and commit code, nothing"
            + " specific to LVM";

    /**
     * Whether this target runs every scenario; the VM runs only those whose behaviour differs on
     * real LVM (end to end, the kill points, a legacy file, space refusal).
     */
    boolean runsEveryScenario() {
        return true;
    }

    /** How much smaller the kill test's installation is (it is migrated 2 to 3 times per point). */
    int killSampleDivisor() {
        return 1;
    }

    /** The checkpoints (1-based indices into the traced run's {@code points}) the kill test visits. */
    List<Integer> killPointsToVisit(List<String> points) {
        return choose(points, KILL_POINTS);
    }

    /** Every how many kill points the run is also rolled back straight after the kill (besides after a resume). */
    int directRollbackEvery() {
        return 1;
    }

    @Test
    @DisplayName("killed with SIGKILL at 22 points on the host, 2 in the VM (mid-copy, mid-save): --resume equals an uninterrupted run,"
            + " --rollback restores qubes.xml byte for byte and removes every new volume, sources never change")
    void killTest() throws Exception {
        Path base = pristine;
        if (killSampleDivisor() > 1) {
            base = Files.createTempDirectory("qvm-to-lvm-small-");
            prepare(SampleInstallation.build(base, killSampleDivisor()));
        }
        Path reference = Installations.copy(base, temp.resolve("reference"));
        byte[] originalRef = Files.readAllBytes(reference);
        List<String> points = ToolRun.traced(args(reference, "--all", "--yes"));
        byte[] migrated = Files.readAllBytes(reference);
        Map<String, String> migratedData = dataDigests(reference, true);
        Set<String> migratedVolumes = targetVolumes(reference);
        List<Integer> toVisit = killPointsToVisit(points);
        assertThat(toVisit).isNotEmpty();
        ToolRun undo = ToolRun.inProcess("--qubes-xml", reference.toString(), "--rollback");
        assertThat(undo.exitCode()).as(undo.stdout() + undo.stderr()).isZero();
        assertThat(Files.readAllBytes(reference)).isEqualTo(originalRef);

        Path xml = Installations.copy(base, temp.resolve("killed"));
        byte[] original = Files.readAllBytes(xml);
        Map<String, String> sources = Installations.imageDigests(xml.getParent());
        Set<String> volumesBefore = targetVolumes(xml);
        String expected = new String(migrated).replace(reference.getParent().toString(), xml.getParent().toString());
        List<String> visited = new ArrayList<>();
        int index = 0;
        for (int n : toVisit) {
            String at = ToolRun.killedAt(n, args(xml, "--all", "--yes"));
            visited.add(n + " " + at);
            ToolRun resumed = ToolRun.inProcess("--qubes-xml", xml.toString(), "--resume");
            assertThat(resumed.exitCode()).as("resume after kill at " + at + ":\n" + resumed.stdout() + resumed.stderr()).isZero();
            assertThat(Files.readString(xml)).as("qubes.xml after kill at " + at + " and --resume").isEqualTo(expected);
            assertThat(dataDigests(xml, true)).as("data after kill at " + at).isEqualTo(migratedData);
            assertThat(targetVolumes(xml)).as("volumes after kill at " + at).isEqualTo(migratedVolumes);
            ToolRun rolledBack = ToolRun.inProcess("--qubes-xml", xml.toString(), "--rollback");
            assertThat(rolledBack.exitCode()).as("rollback after kill at " + at + ":\n" + rolledBack.stdout() + rolledBack.stderr()).isZero();
            assertThat(Files.readAllBytes(xml)).as("qubes.xml after kill at " + at + ", resume, rollback").isEqualTo(original);
            assertThat(targetVolumes(xml)).as("volumes after rollback (kill at " + at + ")").isEqualTo(volumesBefore);

            if (index++ % directRollbackEvery() != 0) {
                continue;
            }
            // The same point again, now undone straight away.
            ToolRun.killedAt(n, args(xml, "--all", "--yes"));
            ToolRun direct = ToolRun.inProcess("--qubes-xml", xml.toString(), "--rollback");
            assertThat(direct.exitCode()).as("rollback right after kill at " + at + ":\n" + direct.stdout() + direct.stderr()).isZero();
            assertThat(Files.readAllBytes(xml)).as("qubes.xml after kill at " + at + " and rollback").isEqualTo(original);
            assertThat(targetVolumes(xml)).as("volumes after kill at " + at + " and rollback").isEqualTo(volumesBefore);
        }
        assertThat(Installations.imageDigests(xml.getParent())).as("sources are never changed").isEqualTo(sources);
        assertThat(visited).anyMatch(v -> v.contains("mid-copy")).anyMatch(v -> v.contains("mid-save"));
        System.out.println("killed at: " + visited);
        if (base != pristine) {
            SampleInstallation.deleteTree(base);
        }
    }

    /** {@code count} checkpoints: mid-save and mid-copy ones first (up to half), the rest spread evenly. */
    static List<Integer> choose(List<String> points, int count) {
        Set<Integer> chosen = new LinkedHashSet<>();
        for (int i = 0; i < points.size() && chosen.size() < count / 2; i++) {
            if (points.get(i).startsWith("mid-")) {
                chosen.add(i + 1);
            }
        }
        for (int k = 0; chosen.size() < count && k < points.size(); k++) {
            chosen.add(1 + (int) ((long) k * points.size() / count) % points.size());
            if (k >= count) {
                chosen.add(k + 1);
            }
        }
        return chosen.stream().sorted().toList();
    }
}
