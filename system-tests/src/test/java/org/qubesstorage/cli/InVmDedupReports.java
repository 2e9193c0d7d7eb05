package org.qubesstorage.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.lvm.ThinDriver;
import org.qubesstorage.overlay.OverlayDriver;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.tck.vm.TestVm;

/**
 * {@code qubes-storage dedup} on pools that cannot share blocks, on real lvm2 and device-mapper (run
 * inside the VM by {@code org.qubesstorage.system.ToolsAndPluginsInVmIT}, after {@link TestVm#MAKE_VG}): it reports what is
 * stored twice, counts a thin snapshot's blocks as the one copy they are, and on overlay says what a
 * branch's layer duplicates of its parent.
 */
@DisplayName("dedup reports on lvm_thin and overlay (in the VM)")
public class InVmDedupReports {
    private static final int MIB = 1 << 20;
    private static final long SIZE = 64L * MIB;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private JsonNode dedup(Path xml, String pool) throws IOException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = QubesStorageCli.run(new String[] {"dedup", "--qubes-xml", xml.toString(), "--pool", pool, "--json",
                "--work-dir", tmp.toString()}, new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(code).as(err.toString()).isZero();
        return JSON.readTree(out.toString());
    }

    private static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void write(Path device, long offset, byte[] data) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(device.toFile(), "rw")) {
            f.seek(offset);
            f.write(data);
            f.getFD().sync();
        }
    }

    private static void importData(Volume v, byte[] data) {
        Locked.run(v, () -> {
            try {
                write(v.importData(SIZE), 0, data);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            v.importDataEnd(true);
        });
    }

    /** The templates' domains, by name, for a qubes.xml. */
    private static String domains(Map<String, Volume> byName, String pool) {
        StringBuilder out = new StringBuilder();
        int id = 1;
        for (Map.Entry<String, Volume> e : byName.entrySet()) {
            Volume v = e.getValue();
            out.append("""
                    <domain id="d%d" class="TemplateVM"><properties><property name="name">%s</property></properties>
                      <volume-config><volume name="root" pool="%s" vid="%s" size="%d" rw="True" save_on_stop="True"/></volume-config></domain>
                    """.formatted(id++, e.getKey(), pool, v.vid(), SIZE));
        }
        return out.toString();
    }

    @Test
    @DisplayName("lvm_thin: a written copy is reported against its original, a thin snapshot is not, nothing changes")
    void thin() throws Exception {
        Pool pool = new ThinDriver().create(new PoolConfig("lvm", ThinDriver.NAME,
                Map.of("volume_group", "qtest", "thin_pool", "tpool")), HostDriverContext.system());
        pool.setup();
        byte[] base = random(16 * MIB, 1);
        byte[] copy = base.clone();
        System.arraycopy(random(MIB, 2), 0, copy, 8 * MIB, MIB);
        Volume original = pool.initVolume(VolumeSpec.origin(new DomainRef("dedup-t1", true), "root", SIZE));
        Volume written = pool.initVolume(VolumeSpec.origin(new DomainRef("dedup-t2", true), "root", SIZE));
        Volume cloned = pool.initVolume(VolumeSpec.origin(new DomainRef("dedup-t3", true), "root", SIZE));
        List<Volume> all = List.of(original, written, cloned);
        all.forEach(v -> Locked.run(v, v::create));
        importData(original, base);
        importData(written, copy);
        Locked.run(cloned, () -> cloned.importVolume(original));
        Path xml = Files.writeString(tmp.resolve("qubes.xml"), """
                <qubes><pools><pool name="lvm" driver="lvm_thin" volume_group="qtest" thin_pool="tpool"/></pools>
                <properties><property name="default_pool">lvm</property></properties><domains>%s</domains></qubes>
                """.formatted(domains(Map.of("dedup-t1", original, "dedup-t2", written, "dedup-t3", cloned), "lvm")));
        try {
            String lvsBefore = lvs();
            JsonNode r = dedup(xml, "lvm");
            assertThat(r.get("report_only").asText()).contains("thin-provisioning-tools #206");
            assertThat(r.get("scanned").asLong()).as("mapped data only: each LV's 16 MiB").isEqualTo(3L * 16 * MIB);
            assertThat(r.get("reclaimable").asLong()).as("the written copy's unchanged 15 MiB; the snapshot shares its blocks")
                    .isEqualTo(15L * MIB);
            assertThat(r.at("/by_pair/" + (written.vid() + " <- " + original.vid()).replace("/", "~1")).asLong()).isEqualTo(15L * MIB);
            assertThat(r.get("by_volume").has(cloned.vid())).as("the snapshot duplicates nothing").isFalse();
            assertThat(lvs()).as("no LV added, removed or changed, no metadata snapshot held").isEqualTo(lvsBefore);
        } finally {
            for (Volume v : List.of(cloned, written, original)) {
                Locked.run(v, v::remove);
            }
        }
    }

    private static String lvs() throws IOException {
        return new ExecCommandRunner().run(Command.of("lvs", "--noheadings", "-o",
                "lv_name,data_percent,lv_attr,metadata_percent", "qtest")).stdout();
    }

    @Test
    @DisplayName("overlay: what a branch's layer duplicates of its parent, at other offsets too")
    void overlay() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("overlay-pool"));
        Pool pool = new OverlayDriver().create(new PoolConfig("ov", OverlayDriver.NAME, Map.of("dir_path", dir.toString())),
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), tmp.resolve("run")));
        pool.setup();
        byte[] base = random(16 * MIB, 3);
        Volume root = pool.initVolume(VolumeSpec.origin(new DomainRef("debian", true), "root", SIZE));
        Locked.run(root, root::create);
        importData(root, base);
        Volume branch = pool.initVolume(VolumeSpec.origin(new DomainRef("debian-work", true), "root", SIZE));
        Locked.run(branch, () -> branch.importVolume(root));
        Locked.run(branch, branch::start);
        try {
            Path device = branch.blockDevice().orElseThrow().path();
            // What the parent holds at 0, again at 32 MiB (a package both installed), and 1 MiB of its own.
            write(device, 32L * MIB, Arrays.copyOf(base, 4 * MIB));
            write(device, 40L * MIB, random(MIB, 4));
        } finally {
            Locked.run(branch, branch::stop);
        }
        Path xml = Files.writeString(tmp.resolve("qubes.xml"), """
                <qubes><pools><pool name="ov" driver="overlay" dir_path="%s"/></pools>
                <properties><property name="default_pool">ov</property></properties><domains>%s</domains></qubes>
                """.formatted(dir, domains(Map.of("debian", root, "debian-work", branch), "ov")));
        JsonNode r = dedup(xml, "ov");
        assertThat(r.get("report_only").asText()).contains("exception store");
        assertThat(r.at("/by_pair/" + (branch.vid() + " <- " + root.vid()).replace("/", "~1")).asLong())
                .as("the branch's copy of its parent's first 4 MiB").isEqualTo(4L * MIB);
        assertThat(r.get("reclaimable").asLong()).isEqualTo(4L * MIB);
    }
}
