package org.qubesstorage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The qubes-storage command line")
class QubesStorageCliTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = QubesStorageCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    @DisplayName("every subcommand takes --help")
    void subcommandHelp() {
        for (String sub : new String[] {"drivers", "pools", "volumes", "usage", "dedup", "start", "stop"}) {
            Run r = run(sub, "--help");
            assertThat(r.code()).as(sub + ": " + r.err()).isZero();
            assertThat(r.out()).contains("Usage: qubes-storage " + sub);
        }
    }

    @Test
    @DisplayName("drivers lists file-reflink, file and overlay with their parameters, required ones marked")
    void drivers() {
        Run r = run("drivers");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("file-reflink", "dir_path*", "setup_check", "file ", "[required]", "overlay");
    }

    @Test
    @DisplayName("volumes resolves an R4 file's domains through the facade")
    void volumes() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path xml = Files.writeString(dir.resolve("qubes.xml"), """
                <qubes><pools><pool name="p" dir_path="%s" driver="file-reflink"/></pools>
                <properties><property name="default_pool">p</property></properties>
                <domains>
                  <domain id="d1" class="TemplateVM"><properties><property name="name">tpl</property></properties>
                    <volume-config><volume name="root" pool="p" vid="vm-templates/tpl/root" size="1024" rw="True" save_on_stop="True"/></volume-config></domain>
                  <domain id="d2" class="AppVM"><properties><property name="name">work</property><property name="template">tpl</property></properties>
                    <volume-config><volume name="root" vid="appvms/work/root" snap_on_start="True"/></volume-config></domain>
                </domains></qubes>""".formatted(data));
        Run r = run("volumes", "--qubes-xml", xml.toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("tpl", "vm-templates/tpl/root", "origin").contains("work", "appvms/work/root", "snapshot")
                .as("unrecorded volumes come from the class defaults").contains("appvms/work/private", "vm-templates/tpl/volatile");
    }

    /** A qubes.xml with an overlay pool and two templates, debian and debian-net; returns its path. */
    private Path overlayInstallation() throws Exception {
        Path data = Files.createDirectories(dir.resolve("overlay"));
        Path xml = Files.writeString(dir.resolve("qubes.xml"), """
                <qubes><pools><pool name="ov" dir_path="%s" driver="overlay"/></pools>
                <properties><property name="default_pool">ov</property></properties>
                <domains>
                  <domain id="d1" class="TemplateVM"><properties><property name="name">debian</property></properties>
                    <volume-config><volume name="root" pool="ov" vid="vm-templates/debian/root" size="1048576" rw="True" save_on_stop="True"/></volume-config></domain>
                  <domain id="d2" class="TemplateVM"><properties><property name="name">debian-net</property></properties>
                    <volume-config><volume name="root" pool="ov" vid="vm-templates/debian-net/root" size="1048576" rw="True" save_on_stop="True"/></volume-config></domain>
                </domains></qubes>""".formatted(data));
        return xml;
    }

    /** The overlay pool of {@link #overlayInstallation()}, made through the driver as qvm-create would. */
    private org.qubesstorage.spi.Pool overlayPool() {
        var pool = new org.qubesstorage.overlay.OverlayDriver().create(new org.qubesstorage.spi.PoolConfig("ov", "overlay",
                java.util.Map.of("dir_path", dir.resolve("overlay").toString())), org.qubesstorage.host.HostDriverContext.system());
        pool.setup();
        return pool;
    }

    @Test
    @DisplayName("volumes shows what each overlay volume holds, the revision a clone sits on, and when it is behind")
    void overlayLayers() throws Exception {
        Path xml = overlayInstallation();
        // The template and its clone, made through the driver as qvm-create and qvm-clone would (no device-mapper needed).
        var pool = overlayPool();
        var root = pool.initVolume(org.qubesstorage.spi.VolumeSpec.origin(new org.qubesstorage.spi.DomainRef("debian", true), "root", 1 << 20));
        org.qubesstorage.facade.Locked.run(root, root::create);
        var net = pool.initVolume(org.qubesstorage.spi.VolumeSpec.origin(new org.qubesstorage.spi.DomainRef("debian-net", true), "root", 1 << 20));
        org.qubesstorage.facade.Locked.run(net, () -> net.importVolume(root));
        Run fresh = run("volumes", "--qubes-xml", xml.toString());
        assertThat(fresh.code()).as(fresh.err()).isZero();
        assertThat(fresh.out()).contains("HOLDS", "SITS ON").containsPattern("vm-templates/debian-net/root .*vm-templates/debian/root@1\\n");
        // the template takes new data (an import: a new revision without a start), so the clone is behind
        org.qubesstorage.facade.Locked.run(root, () -> {
            root.importData(1 << 20);
            root.importDataEnd(true);
        });
        assertThat(run("volumes", "--qubes-xml", xml.toString()).out()).contains("vm-templates/debian/root@1 (behind)");
    }

    @Test
    @DisplayName("usage books the revision a branch sits on as shared; dedup reports on overlay and refuses a pool that cannot say")
    void usageOfLayers() throws Exception {
        Path xml = overlayInstallation();
        var pool = overlayPool();
        var root = pool.initVolume(org.qubesstorage.spi.VolumeSpec.origin(new org.qubesstorage.spi.DomainRef("debian", true), "root", 1 << 20));
        org.qubesstorage.facade.Locked.run(root, root::create);
        byte[] content = new byte[256 << 10];
        new java.util.Random(4).nextBytes(content);
        org.qubesstorage.facade.Locked.run(root, () -> {
            Path target = root.importData(1 << 20);
            try {
                Files.write(target, content, java.nio.file.StandardOpenOption.WRITE);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            root.importDataEnd(true);
        });
        var net = pool.initVolume(org.qubesstorage.spi.VolumeSpec.origin(new org.qubesstorage.spi.DomainRef("debian-net", true), "root", 1 << 20));
        org.qubesstorage.facade.Locked.run(net, () -> net.importVolume(root));
        Run r = run("usage", "--qubes-xml", xml.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> byVid = new java.util.HashMap<>();
        json.at("/pools/0/volumes").forEach(v -> byVid.put(v.get("vid").asText(), v));
        assertThat(byVid.get("vm-templates/debian/root").get("shared").asLong()).as(r.out()).isGreaterThanOrEqualTo(content.length);
        assertThat(byVid.get("vm-templates/debian-net/root").get("allocated").asLong()).as("an empty layer").isLessThan(content.length);
        Run text = run("usage", "--qubes-xml", xml.toString(), "--pool", "ov");
        assertThat(text.out()).contains("ALLOCATED", "EXCLUSIVE", "SHARED", "vm-templates/debian/root");
        Run dedup = run("dedup", "--qubes-xml", xml.toString(), "--pool", "ov", "--json", "--work-dir", dir.toString());
        assertThat(dedup.code()).as(dedup.err()).isZero();
        var report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dedup.out());
        assertThat(report.get("report_only").asText()).contains("exception store");
        assertThat(report.get("scanned").asLong()).as("the template's base; the branch's layer is empty").isEqualTo(content.length);
        assertThat(report.get("duplicate").asLong()).isZero();
        Path fileXml = Files.writeString(dir.resolve("file.xml"), """
                <qubes><pools><pool name="f" dir_path="%s" driver="file"/></pools>
                <properties><property name="default_pool">f</property></properties><domains/></qubes>""".formatted(dir.resolve("f")));
        Run refused = run("dedup", "--qubes-xml", fileXml.toString(), "--pool", "f");
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains("does not support deduplication in pool f", "can neither share blocks");
        assertThat(run("usage", "--qubes-xml", xml.toString(), "--pool", "nope").err()).contains("No pool nope");
    }

    @Test
    @DisplayName("without a subcommand it names them and exits 2; --help states the exit codes")
    void noSubcommand() {
        Run r = run();
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("drivers, pools, volumes, usage, dedup, start or stop", "Usage: qubes-storage");
        assertThat(run("--help").out().replaceAll("\\s+", " ")).contains("4 backend failure");
    }

    @Test
    @DisplayName("a hostile qubes.xml is refused with exit code 2 and a located message")
    void hostile() throws Exception {
        Path xml = Files.writeString(dir.resolve("qubes.xml"), "<!DOCTYPE x [<!ENTITY a \"b\">]><qubes/>");
        Run r = run("pools", "--qubes-xml", xml.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("qubes.xml:1:", "DTD");
    }
}
