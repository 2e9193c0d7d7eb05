package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.console.QubesdGuard;
import org.qubesstorage.xml.QubesXmlDocument;
import org.qubesstorage.xml.QubesXmlFile;
import org.qubesstorage.tck.sample.SampleInstallation;

/**
 * Installations a careless or hostile user hands the tool, on the host (file-reflink target, real
 * sparse files): images that are links out of their pool, a journal of another installation, a
 * running qubesd, a misspelt --running. Each is refused with nothing read, written or removed.
 */
@DisplayName("qvm-to-lvm on hostile installations (host)")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInstallationsIT {
    private Path pristine;

    @TempDir
    Path temp;

    @BeforeAll
    void build() throws Exception {
        pristine = Files.createTempDirectory("qvm-to-lvm-hostile-");
        Path xml = SampleInstallation.build(pristine, 16);
        Path dir = Files.createDirectories(pristine.resolve("target-pool"));
        QubesXmlFile file = QubesXmlFile.load(xml);
        file.save(file.document().withPool(Map.of("name", "target", "driver", "file-reflink", "dir_path", dir.toString())),
                java.util.Optional.empty());
    }

    @AfterAll
    void remove() throws Exception {
        SampleInstallation.deleteTree(pristine);
    }

    private Path fresh(String name) throws Exception {
        return Installations.copy(pristine, temp.resolve(name));
    }

    private static List<String> listing(Path dir) throws Exception {
        return MigrationScenarios.listing(dir);
    }

    @Test
    @DisplayName("an image that is a link to a file outside the pool is refused with the reason, dry run included; nothing is copied")
    void linkedImage() throws Exception {
        Path xml = fresh("link");
        Path secret = Files.writeString(temp.resolve("secret"), "root:$6$not-for-a-qube:19000::::::\n");
        Path image = xml.getParent().resolve("appvms/standalone/private.img");
        Files.delete(image);
        Files.createSymbolicLink(image, secret);
        ToolRun dry = ToolRun.inProcess("--qubes-xml", xml.toString(), "--pool", "target", "standalone", "--dry-run");
        assertThat(dry.exitCode()).as(dry.stdout() + dry.stderr()).isEqualTo(ExitCodes.REFUSED);
        assertThat(dry.stdout()).contains("symbolic link");
        byte[] before = Files.readAllBytes(xml);
        ToolRun run = ToolRun.inProcess("--qubes-xml", xml.toString(), "--pool", "target", "standalone", "--yes");
        assertThat(run.exitCode()).as(run.stdout() + run.stderr()).isEqualTo(ExitCodes.REFUSED);
        assertThat(Files.readAllBytes(xml)).isEqualTo(before);
        assertThat(listing(xml.getParent().resolve("target-pool"))).noneMatch(f -> f.contains("standalone"));
    }

    @Test
    @DisplayName("--rollback with another installation's qubes.xml is refused before anything is removed; the real journal keeps its undo")
    void journalOfAnotherInstallation() throws Exception {
        Path real = fresh("real");
        ToolRun migrated = ToolRun.inProcess("--qubes-xml", real.toString(), "--pool", "target", "--all", "--yes");
        assertThat(migrated.exitCode()).as(migrated.stdout() + migrated.stderr()).isZero();
        Path journal = real.getParent().resolve("qvm-to-lvm.journal");
        byte[] journalBefore = Files.readAllBytes(journal);
        Path other = fresh("other");
        List<String> otherFiles = listing(other.getParent());
        byte[] otherXml = Files.readAllBytes(other);

        ToolRun wrong = ToolRun.inProcess("--qubes-xml", other.toString(), "--journal", journal.toString(), "--rollback");
        assertThat(wrong.exitCode()).as(wrong.stdout() + wrong.stderr()).isEqualTo(ExitCodes.INPUT);
        assertThat(wrong.stderr()).contains("belongs to " + real.toAbsolutePath().normalize(), "nothing was changed");
        assertThat(listing(other.getParent())).isEqualTo(otherFiles);
        assertThat(Files.readAllBytes(other)).isEqualTo(otherXml);
        assertThat(Files.readAllBytes(journal)).isEqualTo(journalBefore);

        ToolRun right = ToolRun.inProcess("--qubes-xml", real.toString(), "--rollback");
        assertThat(right.exitCode()).as(right.stdout() + right.stderr()).isZero();
        assertThat(right.stdout()).contains("removed target:");
    }

    @Test
    @DisplayName("while qubesd answers on its socket every writing run is refused naming the command to stop it; a dry run warns")
    void qubesdRunning() throws Exception {
        Path xml = fresh("qubesd");
        Path socket = temp.resolve("qubesd.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            QubesdGuard guard = new QubesdGuard(socket);
            byte[] before = Files.readAllBytes(xml);
            ToolRun run = run(guard, "--qubes-xml", xml.toString(), "--pool", "target", "--all", "--yes");
            assertThat(run.exitCode()).as(run.stdout() + run.stderr()).isEqualTo(ExitCodes.INPUT);
            assertThat(run.stderr()).contains("qubesd is running", QubesdGuard.STOP_COMMAND);
            assertThat(Files.readAllBytes(xml)).isEqualTo(before);
            ToolRun dry = run(guard, "--qubes-xml", xml.toString(), "--pool", "target", "--all", "--dry-run");
            assertThat(dry.exitCode()).as(dry.stdout() + dry.stderr()).isZero();
            assertThat(dry.stdout()).contains("Warning: qubesd is running");
        }
        Files.deleteIfExists(socket);
        Files.createFile(socket); // a stale socket file: nobody listens
        ToolRun stale = run(new QubesdGuard(socket), "--qubes-xml", xml.toString(), "--pool", "target", "work", "--yes");
        assertThat(stale.exitCode()).as(stale.stdout() + stale.stderr()).isZero();
    }

    @Test
    @DisplayName("--running with a name not in qubes.xml is refused (a typo must not leave a running qube unprotected)")
    void unknownRunning() throws Exception {
        Path xml = fresh("typo");
        ToolRun r = ToolRun.inProcess("--qubes-xml", xml.toString(), "--pool", "target", "--all", "--running", "wrok", "--yes");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.INPUT);
        assertThat(r.stderr()).contains("--running wrok: no such domain");
    }

    @Test
    @DisplayName("a size with white space (Python's int() accepts it) migrates instead of crashing")
    void spacedSize() throws Exception {
        Path xml = fresh("spaced");
        String size = workPrivateSize(xml);
        setWorkPrivateSize(xml, " " + size);
        assertThat(QubesXmlDocument.parse(Files.readString(xml), "x").model().domain("work")).isPresent();
        ToolRun r = ToolRun.inProcess("--qubes-xml", xml.toString(), "--pool", "target", "work", "--yes");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
    }

    @Test
    @DisplayName("a missing image: the dry run shows the whole plan with the volume flagged and refuses (exit 3, one JSON document); a real run writes nothing")
    void missingImage() throws Exception {
        Path xml = fresh("missing");
        Files.delete(xml.getParent().resolve("appvms/work/private.img"));
        ToolRun dry = ToolRun.inProcess("--qubes-xml", xml.toString(), "--pool", "target", "--all", "--dry-run", "--json");
        assertThat(dry.exitCode()).as(dry.stdout() + dry.stderr()).isEqualTo(ExitCodes.REFUSED);
        var doc = org.qubesstorage.migrate.json.Wire.tree(dry.stdout()); // one document: trailing content is refused
        assertThat(doc.get("error").asText()).startsWith("data that qubes.xml records is missing for work");
        assertThat(doc.get("exitCode").asInt()).isEqualTo(ExitCodes.REFUSED);
        var plan = doc.get("plan");
        assertThat(plan.get("domains").findValuesAsText("name")).contains("debian-12", "work", "default-dvm", "disp42", "standalone");
        assertThat(plan.get("domains").findValuesAsText("status")).contains("DATA_MISSING", "MIGRATE");
        assertThat(dry.stderr()).contains("MISSING", "data that qubes.xml records is missing for work");
        byte[] before = Files.readAllBytes(xml);
        ToolRun run = ToolRun.inProcess("--qubes-xml", xml.toString(), "--pool", "target", "--all", "--yes");
        assertThat(run.exitCode()).isEqualTo(ExitCodes.REFUSED);
        assertThat(Files.readAllBytes(xml)).isEqualTo(before);
        assertThat(xml.getParent().resolve("qvm-to-lvm.journal")).doesNotExist();
    }

    @Test
    @DisplayName("control characters from qubes.xml reach the terminal escaped; --json errors are a JSON object; --pool with --vg conflict")
    void messages() throws Exception {
        Path xml = fresh("controls");
        setWorkPrivateSize(xml, "1\u0085\u202e2");
        ToolRun r = ToolRun.inProcess("--qubes-xml", xml.toString(), "--pool", "target", "--all", "--json");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.INPUT);
        assertThat(r.stderr()).doesNotContain("\u0085", "\u202e").contains("1\\u0085\\u202e2");
        var error = org.qubesstorage.migrate.json.Wire.tree(r.stdout());
        assertThat(error.get("exitCode").asInt()).isEqualTo(ExitCodes.INPUT);
        assertThat(error.get("error").asText()).contains("size of volume private is not a whole number", "1\u0085\u202e2");
        ToolRun both = ToolRun.inProcess("--qubes-xml", xml.toString(), "--pool", "target", "--vg", "v", "--thin-pool", "t", "--all");
        assertThat(both.exitCode()).isEqualTo(ExitCodes.INPUT);
        assertThat(both.stderr()).contains("--pool and --vg/--thin-pool conflict");
    }

    /** The text of work's private volume's size attribute. */
    private static String workPrivateSize(Path xml) throws Exception {
        String text = Files.readString(xml);
        int start = text.indexOf("size=\"", text.indexOf("vid=\"appvms/work/private\"")) + "size=\"".length();
        return text.substring(start, text.indexOf('"', start));
    }

    /** Rewrites work's private volume's size attribute to {@code value}, byte for byte otherwise. */
    private static void setWorkPrivateSize(Path xml, String value) throws Exception {
        String text = Files.readString(xml);
        int start = text.indexOf("size=\"", text.indexOf("vid=\"appvms/work/private\"")) + "size=\"".length();
        Files.writeString(xml, text.substring(0, start) + value + text.substring(text.indexOf('"', start)));
    }

    private static ToolRun run(QubesdGuard guard, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = QvmToLvm.run(args, new PrintWriter(out, true), new PrintWriter(err, true), new QvmToLvm(Instant.now(), guard));
        return new ToolRun(code, out.toString(), err.toString());
    }
}
