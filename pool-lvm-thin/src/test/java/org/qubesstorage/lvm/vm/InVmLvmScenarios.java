package org.qubesstorage.lvm.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.file.reflink.ReflinkDriver;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.lvm.ThinDriver;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandResult;
import org.qubesstorage.spi.CommandRunner;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/** Crash recovery, space safety and cross-pool import on real lvm2 (run inside the VM by {@link LvmInVmIT}). */
@DisplayName("lvm_thin scenarios on real LVM (in the VM)")
public class InVmLvmScenarios {
    private static final long MIB = 1 << 20;
    private static final AtomicInteger VMS = new AtomicInteger();

    @TempDir
    Path tmp;

    /** Runs lvm for real, but dies (like a killed process) before the mutating command number {@code limit}. */
    static final class KillingRunner implements CommandRunner {
        private final CommandRunner real = new ExecCommandRunner();
        private final int limit;
        private int mutations;

        KillingRunner(int limit) {
            this.limit = limit;
        }

        @Override
        public CommandResult run(Command command) {
            List<String> a = command.argv();
            boolean mutating = a.contains("lvm") && !a.contains("lvs");
            if (mutating && ++mutations > limit) {
                throw new IllegalStateException("simulated kill before " + String.join(" ", a));
            }
            return real.run(command);
        }
    }

    private Pool pool(CommandRunner runner, String thinPool, Map<String, String> extra) {
        Map<String, String> params = new java.util.LinkedHashMap<>(Map.of("volume_group", InVmLvmKit.VG, "thin_pool", thinPool));
        params.putAll(extra);
        Pool p = new ThinDriver().create(new PoolConfig("lvm", ThinDriver.NAME, params),
                new HostDriverContext(runner, Clock.systemUTC(), tmp.resolve("run")));
        p.setup();
        return p;
    }


    private static byte[] data(long seed) {
        byte[] b = new byte[65536];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void write(Path dev, byte[] d) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(dev.toFile(), "rw")) {
            raf.write(d);
            raf.getFD().sync();
        }
    }

    private static byte[] read(Path dev) throws Exception {
        byte[] b = new byte[65536];
        try (RandomAccessFile raf = new RandomAccessFile(dev.toFile(), "r")) {
            raf.readFully(b);
        }
        return b;
    }

    @ParameterizedTest(name = "killed after {0} of the commit's steps")
    @ValueSource(ints = {0, 1, 2})
    @DisplayName("a commit killed after any step loses nothing: the next start/stop finishes it")
    void killedCommit(int steps) throws Exception {
        DomainRef d = new DomainRef("crash" + VMS.incrementAndGet(), false);
        Pool p = pool(new ExecCommandRunner(), InVmLvmKit.THIN_POOL, Map.of());
        Volume v = p.initVolume(VolumeSpec.origin(d, "private", 16 * MIB));
        Locked.run(v, v::create);
        Locked.run(v, v::start);
        write(v.blockDevice().orElseThrow().path(), data(1));
        Locked.run(v, v::stop);                   // one revision exists: the next commit also prunes
        Thread.sleep(1100);                   // revision timestamps are in seconds
        Locked.run(v, v::start);
        write(v.blockDevice().orElseThrow().path(), data(2));

        Pool dying = pool(new KillingRunner(steps), InVmLvmKit.THIN_POOL, Map.of());
        Volume same = dying.initVolume(VolumeSpec.origin(d, "private", 16 * MIB).withVid(v.vid()));
        assertThatThrownBy(() -> Locked.run(same, same::stop)).hasMessageContaining("simulated kill");

        Pool after = pool(new ExecCommandRunner(), InVmLvmKit.THIN_POOL, Map.of());
        Volume recovered = after.initVolume(VolumeSpec.origin(d, "private", 16 * MIB).withVid(v.vid()));
        if (recovered.isDirty()) {
            Locked.run(recovered, recovered::start);
            assertThat(read(recovered.blockDevice().orElseThrow().path())).as("uncommitted data after the kill").isEqualTo(data(2));
            Locked.run(recovered, recovered::stop);
        }
        assertThat(recovered.isDirty()).isFalse();
        Path exported = recovered.export();
        assertThat(read(exported)).isEqualTo(data(2));
        recovered.exportEnd(exported);
        assertThat(recovered.revisions()).hasSizeBetween(1, 2);
        Locked.run(recovered, recovered::remove);
    }

    @Test
    @DisplayName("a nearly full thin pool refuses new volumes with INSUFFICIENT_SPACE and leaves nothing behind")
    void nearlyFullPool() throws Exception {
        Pool small = pool(new ExecCommandRunner(), "small", Map.of());
        Volume filler = small.initVolume(VolumeSpec.origin(new DomainRef("filler", false), "private", 256 * MIB));
        Locked.run(filler, filler::create);
        Locked.run(filler, filler::start);
        byte[] chunk = new byte[(int) MIB];
        new Random(7).nextBytes(chunk);
        try (RandomAccessFile raf = new RandomAccessFile(filler.blockDevice().orElseThrow().path().toFile(), "rw")) {
            for (int i = 0; i < 60; i++) {
                raf.write(chunk);
            }
            raf.getFD().sync();
        }
        Pool fresh = pool(new ExecCommandRunner(), "small", Map.of()); // reads the usage now
        Volume next = fresh.initVolume(VolumeSpec.origin(new DomainRef("late", false), "private", 16 * MIB));
        assertThatThrownBy(() -> Locked.run(next, next::create)).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_SPACE);
            assertThat(e.getMessage()).contains(InVmLvmKit.VG + "/small", "data usage", "90.0 %");
        });
        String lvs = new ExecCommandRunner().run(Command.of("lvs", "--noheadings", "-o", "lv_name", InVmLvmKit.VG)).stdout();
        assertThat(lvs).doesNotContain("vm-late-private");
        Locked.run(filler, filler::stop);
        Locked.run(filler, filler::remove);
    }

    @Test
    @DisplayName("importing from another pool copies the data with the sparse copy engine and adopts the size")
    void crossPoolImport() throws Exception {
        Pool files = new ReflinkDriver().create(new PoolConfig("files", ReflinkDriver.NAME,
                Map.of("dir_path", tmp.resolve("files").toString(), "setup_check", "False")),
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), tmp.resolve("run")));
        files.setup();
        Volume src = files.initVolume(VolumeSpec.origin(new DomainRef("src", false), "private", 24 * MIB));
        Locked.run(src, src::create);
        Locked.run(src, src::start);
        write(src.blockDevice().orElseThrow().path(), data(3));
        Locked.run(src, src::stop);
        Pool p = pool(new ExecCommandRunner(), InVmLvmKit.THIN_POOL, Map.of());
        Volume dst = p.initVolume(VolumeSpec.origin(new DomainRef("dst", false), "private", 16 * MIB));
        Locked.run(dst, dst::create);
        Locked.run(dst, () -> dst.importVolume(src));
        assertThat(dst.size()).isEqualTo(24 * MIB);
        Path exported = dst.export();
        assertThat(read(exported)).isEqualTo(data(3));
        dst.exportEnd(exported);
        Locked.run(dst, dst::remove);
    }

    /** {@code thin_ls}'s own figures per thin device id: {@code [exclusive, shared]} bytes. */
    private static Map<Integer, long[]> thinLs(String tpool, String tmeta) {
        ExecCommandRunner run = new ExecCommandRunner();
        run.run(Command.of("dmsetup", "message", tpool, "0", "reserve_metadata_snap"));
        try {
            String out = run.run(Command.of("thin_ls", "--metadata-snap", "--no-headers", "-o", "DEV,EXCLUSIVE_BYTES,SHARED_BYTES",
                    tmeta)).stdout();
            Map<Integer, long[]> figures = new java.util.HashMap<>();
            for (String line : out.strip().split("\n")) {
                String[] f = line.strip().split("\\s+");
                figures.put(Integer.parseInt(f[0]), new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
            }
            return figures;
        } finally {
            run.run(Command.of("dmsetup", "message", tpool, "0", "release_metadata_snap"));
        }
    }

    @Test
    @DisplayName("space accounting agrees with thin_ls on every volume, and leaves no metadata snapshot reserved")
    void spaceAgreesWithThinLs() throws Exception {
        Pool p = pool(new ExecCommandRunner(), InVmLvmKit.THIN_POOL, Map.of("revisions_to_keep", "0"));
        int n = VMS.incrementAndGet();
        Volume a = p.initVolume(VolumeSpec.origin(new DomainRef("space-a" + n, true), "root", 64 * MIB));
        Volume c = p.initVolume(VolumeSpec.origin(new DomainRef("space-c" + n, false), "private", 64 * MIB));
        for (Volume v : List.of(a, c)) {
            Locked.run(v, v::create);
            Locked.run(v, v::start);
            byte[] d = new byte[(int) ((v == a ? 8 : 4) * MIB)];
            new Random(n).nextBytes(d);
            write(v.blockDevice().orElseThrow().path(), d);
            Locked.run(v, v::stop);
        }
        Volume b = p.initVolume(VolumeSpec.origin(new DomainRef("space-b" + n, true), "root", 64 * MIB));
        Locked.run(b, () -> b.importVolume(a));
        var space = p.volumeSpace();
        assertThat(space.get(a.vid()).shared()).as("the template's data, which its clone shares").isGreaterThanOrEqualTo(8 * MIB);
        assertThat(space.get(c.vid()).exclusive()).isGreaterThanOrEqualTo(4 * MIB);
        String pool = InVmLvmKit.VG.replace("-", "--") + "-" + InVmLvmKit.THIN_POOL.replace("-", "--");
        String tpool = "/dev/mapper/" + pool + "-tpool";
        Map<Integer, long[]> thinLs = thinLs(tpool, "/dev/mapper/" + pool + "_tmeta");
        String ids = new ExecCommandRunner().run(Command.of("lvs", "--noheadings", "-o", "lv_name,thin_id", InVmLvmKit.VG)).stdout();
        for (Volume v : List.of(a, b, c)) {
            String lv = v.vid().substring(v.vid().indexOf('/') + 1);
            int id = ids.lines().map(String::strip).filter(l -> l.startsWith(lv + " ")).map(l -> Integer.parseInt(l.split("\\s+")[1]))
                    .findFirst().orElseThrow();
            assertThat(new long[] {space.get(v.vid()).exclusive(), space.get(v.vid()).shared()}).as(v.vid() + " against thin_ls")
                    .containsExactly(thinLs.get(id));
        }
        String status = new ExecCommandRunner().run(Command.of("dmsetup", "status", tpool)).stdout();
        assertThat(status.strip().split("\\s+")[6]).as("held metadata root in " + status).isEqualTo("-");
        for (Volume v : List.of(b, a, c)) {
            Locked.run(v, v::remove);
        }
    }
}
