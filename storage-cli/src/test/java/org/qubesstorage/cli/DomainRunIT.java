package org.qubesstorage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.console.QubesdGuard;
import org.qubesstorage.tck.sample.SampleInstallation;

/**
 * {@code qubes-storage start} and {@code stop} on the sample installation (real ext4 images made
 * by mkfs.ext4) with its pool served by {@code file-reflink} (copying, as upstream allows with
 * {@code setup_check=False} on a file system without reflinks): a template changed as a running
 * qube would change it, an AppVM that sees the change and whose own root changes are discarded.
 */
@DisplayName("qubes-storage start and stop")
class DomainRunIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path xml;
    private Path runDir;
    private Path nobody;

    private record Run(int code, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }
    }

    @BeforeEach
    void installation() throws IOException {
        Path sample = SampleInstallation.build(tmp.resolve("qubes"), 8);
        String text = Files.readString(sample).replace("driver=\"file\"", "driver=\"file-reflink\" setup_check=\"False\"");
        xml = Files.writeString(sample, text);
        runDir = tmp.resolve("run");
        nobody = tmp.resolve("no-qubesd.sock");
    }

    private Run cli(QubesdGuard qubesd, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = QubesStorageCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true), qubesd);
        return new Run(code, out.toString(), err.toString());
    }

    private Run cli(String... args) {
        return cli(new QubesdGuard(nobody), args);
    }

    private Run domain(String verb, String domain, boolean json) {
        return json ? cli(verb, "--qubes-xml", xml.toString(), "--run-dir", runDir.toString(), "--json", domain)
                : cli(verb, "--qubes-xml", xml.toString(), "--run-dir", runDir.toString(), domain);
    }

    private static Map<String, JsonNode> byName(JsonNode result) {
        Map<String, JsonNode> out = new HashMap<>();
        result.get("volumes").forEach(v -> out.put(v.get("name").asText(), v));
        return out;
    }

    private static void write(Path file, String text) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(text.getBytes(StandardCharsets.US_ASCII)); // the first 1 KiB of an ext4 image is unused
            f.getFD().sync();
        }
    }

    private static String read(Path file, int length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] b = new byte[length];
            f.readFully(b);
            return new String(b, StandardCharsets.US_ASCII);
        }
    }

    private long runningMarkers() throws IOException {
        if (!Files.isDirectory(runDir)) {
            return 0;
        }
        try (var files = Files.list(runDir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("volume-running-")).count();
        }
    }

    @Test
    @DisplayName("a template started, changed and stopped commits the change; its AppVM sees it, and the AppVM's own root change is discarded")
    void templateThenAppVm() throws Exception {
        Run started = domain("start", "debian-12", true);
        assertThat(started.code()).as(started.err()).isZero();
        Map<String, JsonNode> tpl = byName(started.json());
        assertThat(started.json().get("running").asBoolean()).isTrue();
        assertThat(tpl).containsKeys("root", "private", "volatile", "kernel");
        assertThat(tpl.get("root").get("rw").asBoolean()).isTrue();
        assertThat(tpl.get("kernel").get("rw").asBoolean()).isFalse();
        Path root = Path.of(tpl.get("root").get("device").asText());
        assertThat(root).isRegularFile();
        assertThat(runningMarkers()).as("marked running as qubesd marks them").isEqualTo(4);
        write(root, "template update!");

        Run stopped = domain("stop", "debian-12", false);
        assertThat(stopped.code()).as(stopped.err()).isZero();
        assertThat(stopped.out()).contains("Stopped root, private, volatile, kernel of debian-12.");
        assertThat(runningMarkers()).isZero();
        assertThat(read(tmp.resolve("qubes/vm-templates/debian-12/root.img"), 16)).as("committed").isEqualTo("template update!");

        Run app = domain("start", "work", false);
        assertThat(app.code()).as(app.err()).isZero();
        assertThat(app.out()).startsWith("VOLUME    MODE DEVICE").contains("root      rw", "private   rw", "kernel    ro");
        Path appRoot = Path.of(app.out().lines().filter(l -> l.startsWith("root ")).findFirst().orElseThrow().split("\\s+")[2]);
        Path appPrivate = Path.of(app.out().lines().filter(l -> l.startsWith("private ")).findFirst().orElseThrow().split("\\s+")[2]);
        assertThat(read(appRoot, 16)).as("the AppVM's root is its template's committed root").isEqualTo("template update!");
        write(appRoot, "appvm root write");
        write(appPrivate, "appvm private!!!");
        assertThat(domain("stop", "work", false).code()).isZero();
        assertThat(read(tmp.resolve("qubes/vm-templates/debian-12/root.img"), 16)).isEqualTo("template update!");
        assertThat(read(tmp.resolve("qubes/appvms/work/private.img"), 16)).as("saved on stop").isEqualTo("appvm private!!!");
        Run again = domain("start", "work", true);
        assertThat(read(Path.of(byName(again.json()).get("root").get("device").asText()), 16)).as("a snapshot's run is discarded")
                .isEqualTo("template update!");
        assertThat(domain("stop", "work", false).code()).isZero();
    }

    @Test
    @DisplayName("while qubesd answers on its socket both are refused (exit 2) with the command to stop it, and nothing starts")
    void refusedUnderQubesd() throws Exception {
        Path socket = tmp.resolve("qubesd.sock");
        try (ServerSocketChannel qubesd = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            qubesd.bind(UnixDomainSocketAddress.of(socket));
            for (String verb : new String[] {"start", "stop"}) {
                Run r = cli(new QubesdGuard(socket), verb, "--qubes-xml", xml.toString(), "--run-dir", runDir.toString(), "debian-12");
                assertThat(r.code()).as(verb).isEqualTo(2);
                assertThat(r.err()).contains("Refusing to " + verb + " the volumes of debian-12", QubesdGuard.STOP_COMMAND);
            }
        }
        assertThat(runningMarkers()).isZero();
        try (var files = Files.walk(tmp.resolve("qubes"))) {
            assertThat(files.filter(f -> f.getFileName().toString().contains("-dirty")).toList()).as("nothing started").isEmpty();
        }
    }

    @Test
    @DisplayName("an unknown domain is refused (exit 2), and so is a missing one")
    void unknownDomain() {
        Run r = domain("start", "no-such-qube", false);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("No domain no-such-qube");
        Run missing = cli("start", "--qubes-xml", xml.toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("DOMAIN");
    }
}
