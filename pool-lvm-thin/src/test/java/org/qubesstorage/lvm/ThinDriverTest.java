package org.qubesstorage.lvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.Revision;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/** The lvm_thin driver's logic and command lines against a simulated lvm (real lvm runs in the VM tests). */
@DisplayName("The lvm_thin driver's logic")
class ThinDriverTest {
    private static final long GIB = 1L << 30;

    private SimulatedLvm lvm;
    private ThinPool pool;
    private MutableClock clock;

    static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-11-22T10:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    ThinPool newPool(Map<String, String> extra) {
        Map<String, String> params = new LinkedHashMap<>(Map.of("volume_group", "qubes_dom0", "thin_pool", "vm-pool"));
        params.putAll(extra);
        ThinPool p = (ThinPool) new ThinDriver().create(new PoolConfig("lvm", "lvm_thin", params),
                new HostDriverContext(lvm, clock, Path.of("/tmp")));
        p.setup();
        return p;
    }

    @BeforeEach
    void setUp() {
        lvm = new SimulatedLvm("qubes_dom0", "vm-pool", 100 * GIB);
        clock = new MutableClock();
        pool = newPool(Map.of());
    }


    private Volume origin(String vm) {
        Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef(vm, false), "private", 2 * GIB));
        Locked.run(v, v::create);
        return v;
    }

    @Test
    @DisplayName("names volumes exactly as upstream: <vg>/vm-<vm>-<volume>")
    void naming() {
        Volume v = origin("work");
        assertThat(v.vid()).isEqualTo("qubes_dom0/vm-work-private");
        assertThat(lvm.lvs).containsKey("vm-work-private");
        assertThat(lvm.commands.getLast()).containsExactly("lvm", "lvcreate", "--thin", "--setactivationskip=n",
                "--activate=y", "--name=vm-work-private", "--virtualsize=2147483648B", "--", "qubes_dom0/vm-pool");
        Locked.run(v, v::start);
        assertThat(v.blockDevice().orElseThrow().path()).isEqualTo(Path.of("/dev/mapper/qubes_dom0-vm--work--private--snap"));
        assertThat(lvm.commands.getLast()).containsExactly("lvm", "lvcreate", "--setactivationskip=n", "--activate=y",
                "--snapshot", "--name=vm-work-private-snap", "--", "qubes_dom0/vm-work-private");
    }

    @Test
    @DisplayName("setup refuses a missing thin pool and an LV that is not a thin pool")
    void setupChecks() {
        assertThatThrownBy(() -> newPool(Map.of("thin_pool", "nope"))).hasMessageContaining("Thin pool qubes_dom0/nope does not exist");
        lvm.lvs.put("plain", new SimulatedLvm.Lv("plain", "", GIB, "-wi-a-----", ""));
        assertThatThrownBy(() -> newPool(Map.of("thin_pool", "plain"))).hasMessageContaining("is not a thin pool");
    }

    @Test
    @DisplayName("stop commits in the crash-safe order: current to -<ts>-back, -snap to current, prune last")
    void commitOrder() {
        Volume v = origin("work");
        Locked.run(v, v::start);
        Locked.run(v, v::stop);
        clock.now = clock.now.plusSeconds(60);
        Locked.run(v, v::start);
        lvm.commands.clear();
        clock.now = clock.now.plusSeconds(60);
        Locked.run(v, v::stop);
        long ts = clock.now.getEpochSecond();
        assertThat(lvm.commands).filteredOn(c -> c.get(0).equals("lvm")).extracting(c -> String.join(" ", c)).containsExactly(
                "lvm lvrename -- qubes_dom0/vm-work-private qubes_dom0/vm-work-private-" + ts + "-back",
                "lvm lvrename -- qubes_dom0/vm-work-private-snap qubes_dom0/vm-work-private",
                "lvm lvremove --force -- qubes_dom0/vm-work-private-" + (ts - 120) + "-back");
        assertThat(v.revisions()).extracting(Revision::id).containsExactly(ts + "-back");
    }

    @Test
    @DisplayName("a commit interrupted after the first rename: lookups fall back to the newest revision and the next stop finishes")
    void interruptedCommit() {
        Volume v = origin("work");
        Locked.run(v, v::start);
        lvm.failNext = null;
        // Simulate a kill between the two renames: current already renamed, -snap still there.
        SimulatedLvm.Lv current = lvm.lvs.remove("vm-work-private");
        lvm.lvs.put("vm-work-private-1000-back", new SimulatedLvm.Lv("vm-work-private-1000-back", current.pool(),
                current.size(), current.attr(), current.origin()));
        pool.cache().invalidate();
        ThinVolume again = (ThinVolume) newPool(Map.of()).initVolume(
                VolumeSpec.origin(new DomainRef("work", false), "private", 2 * GIB));
        assertThat(again.currentVid()).isEqualTo("qubes_dom0/vm-work-private-1000-back");
        assertThat(again.isDirty()).isTrue();
        Locked.run(again, again::start); // keeps the uncommitted -snap
        assertThat(lvm.lvs).containsKey("vm-work-private-snap");
        Locked.run(again, again::stop);
        assertThat(lvm.lvs).containsKeys("vm-work-private", "vm-work-private-1000-back").doesNotContainKey("vm-work-private-snap");
    }

    @Test
    @DisplayName("a revision of domain x-root is never taken for one of domain x (#4680)")
    void prefixGuard() {
        Volume x = pool.initVolume(VolumeSpec.origin(new DomainRef("x", false), "root", GIB));
        lvm.lvs.put("vm-x-root-1700000000-back", new SimulatedLvm.Lv("vm-x-root-1700000000-back", "vm-pool", GIB, "Vwi---tz-k", ""));
        lvm.lvs.put("vm-x-root-private-1700000000-back", new SimulatedLvm.Lv("vm-x-root-private-1700000000-back", "vm-pool", GIB, "Vwi---tz-k", ""));
        pool.cache().invalidate();
        assertThat(x.revisions()).extracting(Revision::id).containsExactly("1700000000-back");
    }

    @Test
    @DisplayName("revert discards the current state and keeps the revision")
    void revert() {
        Volume v = origin("work");
        Locked.run(v, v::start);
        Locked.run(v, v::stop);
        clock.now = clock.now.plusSeconds(5);
        Locked.run(v, v::start);
        Locked.run(v, v::stop);
        String id = v.revisions().getLast().id();
        Locked.run(v, () -> v.revert(id));
        assertThat(lvm.lvs.get("vm-work-private").origin()).isEqualTo("vm-work-private-" + id);
        assertThat(v.revisions()).extracting(Revision::id).contains(id);
    }

    @Test
    @DisplayName("refuses to allocate above the data and metadata thresholds, naming the pool and the numbers")
    void spaceSafety() {
        lvm.dataPercent = "91.50";
        pool.cache().invalidate();
        assertThatThrownBy(() -> origin("work")).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_SPACE);
            assertThat(e.getMessage()).contains("Pool lvm (qubes_dom0/vm-pool)", "91.5 %", "90.0 %", "vm-work-private");
        });
        lvm.dataPercent = "10.00";
        lvm.metadataPercent = "85.00";
        pool.cache().invalidate();
        assertThatThrownBy(() -> origin("work")).hasMessageContaining("metadata usage 85.0 %");
        assertThat(lvm.lvs).doesNotContainKey("vm-work-private");
    }

    @Test
    @DisplayName("checkSpace refuses a planned import that would pass the data threshold, before anything is written")
    void plannedImport() {
        int lvsBefore = lvm.lvs.size();
        lvm.dataPercent = "50.00";
        pool.cache().invalidate();
        long size = pool.size().orElseThrow();
        assertThat(pool.checkSpace(size * 30 / 100, size)).isEmpty();
        assertThat(pool.checkSpace(size * 45 / 100, size)).hasValueSatisfying(reason ->
                assertThat(reason).contains("Pool lvm (qubes_dom0/vm-pool)", "50.0 %", "would become 95.0 %", "90.0 %"));
        lvm.metadataPercent = "79.00";
        pool.cache().invalidate();
        assertThat(pool.checkSpace(size * 30 / 100, size)).hasValueSatisfying(reason ->
                assertThat(reason).contains("metadata usage 79.0 %"));
        assertThat(lvm.lvs).hasSize(lvsBefore);
    }

    @Test
    @DisplayName("refuses when the virtual sizes would pass the over-provisioning ratio")
    void overprovisioning() {
        pool = newPool(Map.of("max_overprovisioning", "1.5"));
        for (int i = 0; i < 7; i++) {
            Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef("vm" + i, false), "private", 20 * GIB));
            Locked.run(v, v::create);
        }
        Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef("vm8", false), "private", 20 * GIB));
        assertThatThrownBy(() -> Locked.run(v, v::create)).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_SPACE);
            assertThat(e.getMessage()).contains("over-provisioning limit of 1.5");
        });
    }

    @Test
    @DisplayName("a failing lvm command leaves no half-created volume and the cache is re-read")
    void failureCleansUp() {
        Volume v = origin("work");
        lvm.failNext = "lvcreate";
        assertThatThrownBy(() -> Locked.run(v, v::start)).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_FAILURE);
            assertThat(e.commandFailure()).get().satisfies(f -> {
                assertThat(f.exitCode()).isEqualTo(5);
                assertThat(f.stderr()).contains("simulated failure of lvcreate");
            });
        });
        assertThat(lvm.lvs).doesNotContainKey("vm-work-private-snap");
        assertThat(v.isDirty()).isFalse();
    }

    @Test
    @DisplayName("lvm's over-provisioning warnings are not errors")
    void noise() {
        origin("work");
        assertThat(lvm.lvs).containsKey("vm-work-private");
    }

    @Test
    @DisplayName("import_data creates -import, commits on success and removes it on failure")
    void importData() {
        Volume v = origin("work");
        Locked.run(v, () -> assertThat(v.importData(3 * GIB)).isEqualTo(Path.of("/dev/mapper/qubes_dom0-vm--work--private--import")));
        Locked.run(v, () -> v.importDataEnd(true));
        assertThat(lvm.lvs.get("vm-work-private").size()).isEqualTo(3 * GIB);
        assertThat(v.revisions()).hasSize(1);
        Locked.run(v, () -> v.importData(GIB));
        Locked.run(v, () -> v.importDataEnd(false));
        assertThat(lvm.lvs).doesNotContainKey("vm-work-private-import");
        assertThat(lvm.lvs.get("vm-work-private").size()).isEqualTo(3 * GIB);
    }

    @Test
    @DisplayName("a same-pool import is a thin snapshot of the source")
    void cheapClone() {
        Volume src = origin("work");
        Volume dst = origin("clone");
        Locked.run(dst, () -> dst.importVolume(src));
        assertThat(lvm.lvs.get("vm-clone-private").origin()).isEqualTo("vm-work-private");
    }

    @Test
    @DisplayName("names that could be options or escape are refused before any command")
    void names() {
        assertThatThrownBy(() -> LvmNames.check("-rf")).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> LvmNames.check("a/b")).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> LvmNames.check("x_tmeta")).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> LvmCommands.remove("vg")).isInstanceOf(IllegalArgumentException.class);
        assertThat(LvmNames.mapperName("qubes_dom0/vm-a-b")).isEqualTo("qubes_dom0-vm--a--b");
        assertThat(LvmCommands.lvs(List.of("vg0"))).endsWith("--", "vg0");
    }
}
