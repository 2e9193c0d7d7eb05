package org.qubesstorage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.overlay.OverlayDriver;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.tck.ScratchFileSystem;

/**
 * {@code qubes-storage start} and {@code stop} on {@code overlay}, with the test in the role of the
 * running qube: it mounts the device {@code start} prints, changes files and unmounts before
 * {@code stop}. A template and a branch (a layer over the template's committed root) each commit
 * their own change; after the template commits again the branch is listed behind and still reads
 * its own view. Run inside the VM by {@code org.qubesstorage.system.ToolsAndPluginsInVmIT}.
 */
@DisplayName("qubes-storage start and stop on overlay, a template and its branch changed as running qubes (in the VM)")
public class InVmDomainRun {
    private static final long SIZE = 64L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path xml;

    private String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = QubesStorageCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(code).as(String.join(" ", args) + ": " + err).isZero();
        return out.toString();
    }

    /** Starts {@code domain}, mounts its root, runs {@code change} on the mount, unmounts and stops it. */
    private void asRunningQube(String domain, boolean format, IoAction change) throws Exception {
        String started = cli("start", "--qubes-xml", xml.toString(), "--run-dir", tmp.resolve("run").toString(), "--json", domain);
        Path device = null;
        for (var v : JSON.readTree(started).get("volumes")) {
            if (v.get("name").asText().equals("root")) {
                device = Path.of(v.get("device").asText());
            }
        }
        assertThat(device).as(started).isNotNull();
        assertThat(device.toString()).startsWith("/dev/mapper/qov-");
        if (format) {
            ScratchFileSystem.run(List.of("mkfs.ext4", "-q", "--", device.toString()));
        }
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        ScratchFileSystem.run(List.of("mount", "--", device.toString(), mnt.toString()));
        try {
            change.run(mnt);
        } finally {
            ScratchFileSystem.run(List.of("umount", "--", mnt.toString()));
        }
        cli("stop", "--qubes-xml", xml.toString(), "--run-dir", tmp.resolve("run").toString(), domain);
    }

    @FunctionalInterface
    private interface IoAction {
        void run(Path mount) throws IOException;
    }

    @Test
    @DisplayName("each commits its own change; the branch keeps its view of the template after the template commits again")
    void templateAndBranch() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("overlay-pool"));
        Pool pool = new OverlayDriver().create(new PoolConfig("ov", OverlayDriver.NAME, Map.of("dir_path", dir.toString())),
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), tmp.resolve("run")));
        pool.setup();
        Volume root = pool.initVolume(VolumeSpec.origin(new DomainRef("debian", true), "root", SIZE));
        Locked.run(root, root::create);
        for (String template : List.of("debian", "debian-net")) { // private volumes, as every template has
            Volume data = pool.initVolume(VolumeSpec.origin(new DomainRef(template, true), "private", SIZE));
            Locked.run(data, data::create);
        }
        String config = """
                  <volume-config><volume name="root" pool="ov" vid="vm-templates/%1$s/root" size="%2$d" rw="True" save_on_stop="True"/>
                  <volume name="private" pool="ov" vid="vm-templates/%1$s/private" size="%2$d" rw="True" save_on_stop="True"/>
                  <volume name="volatile" pool="ov" vid="vm-templates/%1$s/volatile" size="%2$d" rw="True"/></volume-config>""";
        xml = Files.writeString(tmp.resolve("qubes.xml"), """
                <qubes><pools><pool name="ov" driver="overlay" dir_path="%s"/></pools>
                <properties><property name="default_pool">ov</property></properties><domains>
                <domain id="d1" class="TemplateVM"><properties><property name="name">debian</property></properties>%s</domain>
                <domain id="d2" class="TemplateVM"><properties><property name="name">debian-net</property></properties>%s</domain>
                </domains></qubes>
                """.formatted(dir, config.formatted("debian", SIZE), config.formatted("debian-net", SIZE)));
        assertThat(root.vid()).isEqualTo("vm-templates/debian/root");

        asRunningQube("debian", true, mnt -> Files.writeString(mnt.resolve("release"), "v1"));
        Volume branch = pool.initVolume(VolumeSpec.origin(new DomainRef("debian-net", true), "root", SIZE));
        Locked.run(branch, () -> branch.importVolume(root)); // a layer over debian's committed root
        asRunningQube("debian-net", false, mnt -> {
            assertThat(Files.readString(mnt.resolve("release"))).isEqualTo("v1");
            Files.writeString(mnt.resolve("net-tool"), "installed");
        });
        asRunningQube("debian", false, mnt -> Files.writeString(mnt.resolve("release"), "v2"));

        String volumes = cli("volumes", "--qubes-xml", xml.toString());
        assertThat(volumes.lines().filter(l -> l.startsWith("debian-net ")).findFirst().orElseThrow()).contains("(behind)");
        asRunningQube("debian-net", false, mnt -> {
            assertThat(Files.readString(mnt.resolve("release"))).as("the branch's own view").isEqualTo("v1");
            assertThat(Files.readString(mnt.resolve("net-tool"))).isEqualTo("installed");
        });
        asRunningQube("debian", false, mnt -> {
            assertThat(Files.readString(mnt.resolve("release"))).isEqualTo("v2");
            assertThat(mnt.resolve("net-tool")).doesNotExist();
        });
    }
}
