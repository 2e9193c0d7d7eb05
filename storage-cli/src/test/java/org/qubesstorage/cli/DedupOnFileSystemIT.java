package org.qubesstorage.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qubesstorage.dedup.DedupObserver;
import org.qubesstorage.dedup.DedupReport;
import org.qubesstorage.dedup.DedupSource;
import org.qubesstorage.dedup.Deduplicator;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.file.reflink.ReflinkDriver;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.tck.ScratchFileSystem;

/**
 * {@code usage} and {@code dedup} on real btrfs and xfs: three templates that are full copies of one
 * base, each changed a little, and a fourth that is running.
 */
@DisplayName("usage and dedup on a real file system")
class DedupOnFileSystemIT {
    private static final int MIB = 1 << 20;
    private static final int DATA = 96 * MIB;
    private static final long SIZE = 256L * MIB;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = QubesStorageCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private static ScratchFileSystem mount(String type) throws IOException {
        return ScratchFileSystem.create(type, 2L << 30, Path.of("target", "scratch-fs").toAbsolutePath());
    }

    /** {@code base} with {@code length} new random bytes at {@code offset}. */
    private static byte[] changed(byte[] base, int offset, int length, long seed) {
        byte[] out = base.clone();
        byte[] change = new byte[length];
        new Random(seed).nextBytes(change);
        System.arraycopy(change, 0, out, offset, length);
        return out;
    }

    private static void importData(Volume v, byte[] data) {
        Locked.run(v, () -> {
            Path p = v.importData(SIZE);
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.write(data);
                f.getFD().sync();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            v.importDataEnd(true);
        });
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** A file-reflink pool in {@code fs} and its qubes.xml, with {@code count} templates' volumes. */
    private record Templates(Path poolDir, Path xml, Map<String, Volume> volumes) {}

    /**
     * Full copies of one base (written, not cloned), each but the first with 1 MiB of its own; on a
     * file system without reflinks the pool is set up as upstream allows there ({@code setup_check=False}).
     */
    private Templates templates(ScratchFileSystem fs, int count, boolean reflinks) throws IOException {
        Path poolDir = fs.mountPoint().resolve("pool");
        Map<String, String> params = reflinks ? Map.of("dir_path", poolDir.toString())
                : Map.of("dir_path", poolDir.toString(), "setup_check", "False");
        Pool pool = new ReflinkDriver().create(new PoolConfig("p", ReflinkDriver.NAME, params), HostDriverContext.system());
        pool.setup();
        StringBuilder domains = new StringBuilder();
        byte[] base = new byte[DATA];
        new Random(1).nextBytes(base);
        Map<String, Volume> volumes = new LinkedHashMap<>();
        for (int i = 1; i <= count; i++) {
            String name = "t" + i;
            domains.append("""
                    <domain id="d%d" class="TemplateVM"><properties><property name="name">%s</property></properties>
                      <volume-config><volume name="root" pool="p" vid="vm-templates/%s/root" size="%d" rw="True" save_on_stop="True"/>
                      </volume-config></domain>""".formatted(i, name, name, SIZE));
            Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef(name, true), "root", SIZE));
            Locked.run(v, v::create);
            importData(v, i == 1 ? base : changed(base, i * 8 * MIB, MIB, i));
            volumes.put(v.vid(), v);
        }
        Path xml = Files.writeString(tmp.resolve("qubes.xml"), """
                <qubes><pools><pool name="p" dir_path="%s" driver="file-reflink"%s/></pools>
                <properties><property name="default_pool">p</property></properties>
                <domains>%s</domains></qubes>""".formatted(poolDir, reflinks ? "" : " setup_check=\"False\"", domains));
        return new Templates(poolDir, xml, volumes);
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"btrfs", "xfs"})
    void threeCopiesShareTheirBlocksAndKeepTheirContent(String type) throws Exception {
        try (ScratchFileSystem fs = mount(type)) {
            Templates t = templates(fs, 4, true);
            Path poolDir = t.poolDir();
            Path xml = t.xml();
            Map<String, Volume> volumes = t.volumes();
            Volume running = volumes.get("vm-templates/t4/root");
            Locked.run(running, running::start);
            try {
                Map<String, String> hashes = new LinkedHashMap<>();
                for (String vid : List.of("vm-templates/t1/root", "vm-templates/t2/root", "vm-templates/t3/root")) {
                    hashes.put(vid, sha256(poolDir.resolve(vid + ".img")));
                }
                Run before = cli("usage", "--qubes-xml", xml.toString(), "--pool", "p", "--json");
                assertThat(before.code()).as(before.err()).isZero();
                for (JsonNode v : before.json().at("/pools/0/volumes")) {
                    if (!v.get("vid").asText().endsWith("/root")) {
                        continue; // the class's other volumes hold nothing yet
                    }
                    assertThat(v.get("shared").asLong()).as("full copies share nothing: " + v).isZero();
                    assertThat(v.get("exclusive").asLong()).as(v.toString()).isGreaterThanOrEqualTo(DATA);
                }

                Run dry = cli("dedup", "--qubes-xml", xml.toString(), "--pool", "p", "--dry-run", "--json",
                        "--work-dir", tmp.toString());
                assertThat(dry.code()).as(dry.err()).isZero();
                JsonNode plan = dry.json();
                long predicted = plan.get("reclaimable").asLong();
                assertThat(plan.at("/skipped/vm-templates~1t4~1root").asText()).as("the running template").contains("running");
                // t2 and t3 each hold 95 MiB that t1 holds too.
                assertThat(predicted).isEqualTo(2L * (DATA - MIB));
                assertThat(plan.get("by_pair").get("vm-templates/t2/root <- vm-templates/t1/root").asLong()).isEqualTo(DATA - MIB);

                long usedBefore = fs.usedBytes();
                Run applied = cli("dedup", "--qubes-xml", xml.toString(), "--pool", "p", "--json", "--work-dir", tmp.toString());
                assertThat(applied.code()).as(applied.err()).isZero();
                assertThat(applied.json().get("shared").asLong()).as("every planned reference (image and precache) was shared")
                        .isEqualTo(plan.get("duplicate").asLong());
                long freed = usedBefore - fs.usedBytes();
                assertThat((double) freed).as("space freed against the prediction").isCloseTo(predicted, within(predicted * 0.01));

                for (Map.Entry<String, String> e : hashes.entrySet()) {
                    assertThat(sha256(poolDir.resolve(e.getKey() + ".img"))).as("content of " + e.getKey()).isEqualTo(e.getValue());
                }
                Run after = cli("usage", "--qubes-xml", xml.toString(), "--pool", "p", "--json");
                Map<String, JsonNode> byVid = new LinkedHashMap<>();
                after.json().at("/pools/0/volumes").forEach(v -> byVid.put(v.get("vid").asText(), v));
                assertThat(byVid.get("vm-templates/t2/root").get("shared").asLong()).isEqualTo(DATA - MIB);
                assertThat(byVid.get("vm-templates/t2/root").get("exclusive").asLong()).isEqualTo(MIB);
                assertThat(byVid.get("vm-templates/t1/root").get("shared").asLong()).isEqualTo(DATA);
                assertThat(byVid.get("vm-templates/t4/root").get("shared").asLong()).as("the running one was left alone").isZero();
                assertThat(tmp).isDirectoryNotContaining("glob:**dedup-*");
            } finally {
                Locked.run(running, running::stop);
            }
        }
    }

    @Test
    void onExt4TheCopiesAreReportedAndNothingChanges() throws Exception {
        try (ScratchFileSystem fs = mount("ext4")) {
            Templates t = templates(fs, 3, false);
            Map<String, String> hashes = new LinkedHashMap<>();
            for (String vid : t.volumes().keySet()) {
                hashes.put(vid, sha256(t.poolDir().resolve(vid + ".img")));
            }
            long usedBefore = fs.usedBytes();
            Run run = cli("dedup", "--qubes-xml", t.xml().toString(), "--pool", "p", "--json", "--work-dir", tmp.toString());
            assertThat(run.code()).as(run.err()).isZero();
            JsonNode r = run.json();
            assertThat(r.get("report_only").asText()).contains("cannot share extents");
            assertThat(r.get("dry_run").asBoolean()).as("a pool that cannot share is never changed").isTrue();
            assertThat(r.get("reclaimable").asLong()).isEqualTo(2L * (DATA - MIB));
            assertThat(r.get("by_pair").get("vm-templates/t3/root <- vm-templates/t1/root").asLong()).isEqualTo(DATA - MIB);
            assertThat(r.get("shared").asLong()).isZero();
            assertThat(fs.usedBytes()).as("space used").isEqualTo(usedBefore);
            for (Map.Entry<String, String> e : hashes.entrySet()) {
                assertThat(sha256(t.poolDir().resolve(e.getKey() + ".img"))).as("content of " + e.getKey()).isEqualTo(e.getValue());
            }
            Run text = cli("dedup", "--qubes-xml", t.xml().toString(), "--pool", "p", "--work-dir", tmp.toString());
            assertThat(text.out()).contains("report only: its file system cannot share extents", "nothing changed");
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"btrfs", "xfs"})
    void aBlockWrittenDuringTheRunKeepsItsNewDataAndASmallBudgetSpills(String type) throws Exception {
        try (ScratchFileSystem fs = mount(type)) {
            byte[] base = new byte[64 * MIB];
            new Random(2).nextBytes(base);
            List<DedupSource> sources = new ArrayList<>();
            for (String name : List.of("a", "b", "c")) {
                Path f = Files.write(fs.mountPoint().resolve(name), base);
                sources.add(new DedupSource(f, name));
            }
            byte[] late = new byte[64 << 10];
            new Random(3).nextBytes(late);
            Path c = sources.get(2).path();
            DedupObserver writer = new DedupObserver() {
                @Override
                public void planned(DedupReport plan) {
                    try (RandomAccessFile f = new RandomAccessFile(c.toFile(), "rw")) {
                        f.seek(5L * MIB);
                        f.write(late);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
            };
            DedupReport r = new Deduplicator(new Deduplicator.Settings(4096, MIB, tmp), writer).run(sources, true);
            assertThat(r.indexBuckets()).as("an index of 1.5 MiB over a 1 MiB budget spills into buckets").isGreaterThan(1);
            assertThat(r.reclaimableBytes()).isEqualTo(2L * base.length);
            assertThat(r.changedBytes()).as("exactly the blocks written since the scan").isEqualTo(late.length);
            assertThat(r.sharedBytes()).isEqualTo(2L * base.length - late.length);
            byte[] now = Files.readAllBytes(c);
            byte[] expected = base.clone();
            System.arraycopy(late, 0, expected, 5 * MIB, late.length);
            assertThat(now).as("c keeps what was written during the run").isEqualTo(expected);
            assertThat(Files.readAllBytes(sources.get(1).path())).isEqualTo(base);
            assertThat(tmp).isDirectoryNotContaining("glob:**dedup-*");
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"btrfs", "xfs"})
    void aRunStoppedMidwayLeavesEveryFileIntactAndNoWorkFiles(String type) throws Exception {
        try (ScratchFileSystem fs = mount(type)) {
            byte[] base = new byte[48 * MIB];
            new Random(6).nextBytes(base);
            List<DedupSource> sources = new ArrayList<>();
            for (String name : List.of("a", "b", "c")) {
                sources.add(new DedupSource(Files.write(fs.mountPoint().resolve(name), changed(base, 0, MIB, name.hashCode())), name));
            }
            Map<Path, String> before = new LinkedHashMap<>();
            for (DedupSource s : sources) {
                before.put(s.path(), sha256(s.path()));
            }
            DedupObserver killer = new DedupObserver() {
                @Override
                public void applied(long bytes) {
                    throw new IllegalStateException("stopped after the first range, as a kill would");
                }
            };
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> new Deduplicator(new Deduplicator.Settings(4096, 64L * MIB, tmp), killer).run(sources, true))
                    .hasMessageContaining("stopped after the first range");
            for (DedupSource s : sources) {
                assertThat(sha256(s.path())).as(s.volume()).isEqualTo(before.get(s.path()));
            }
            assertThat(tmp).isDirectoryNotContaining("glob:**dedup-*");
            assertThat(fs.mountPoint()).isDirectoryNotContaining("glob:**.qubes-dedup-*");
        }
    }
}
