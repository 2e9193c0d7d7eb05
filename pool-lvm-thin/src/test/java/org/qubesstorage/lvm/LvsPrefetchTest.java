package org.qubesstorage.lvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.PoolConfig;

@DisplayName("Reading a volume group's lvs report ahead")
class LvsPrefetchTest {
    private static final long GIB = 1L << 30;
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-02T06:00:00Z"), ZoneOffset.UTC);
    private static final PoolConfig CONFIG = new PoolConfig("lvm", "lvm_thin",
            Map.of("volume_group", "qubes_dom0", "thin_pool", "vm-pool", "revisions_to_keep", "1"));

    private static SimulatedLvm lvmWithOneVolume() {
        SimulatedLvm lvm = new SimulatedLvm("qubes_dom0", "vm-pool", 100 * GIB);
        lvm.lvs.put("vm-work-private", new SimulatedLvm.Lv("vm-work-private", "vm-pool", 2 * GIB, "Vwi-a-tz--", ""));
        return lvm;
    }

    /** A driver asked to read ahead, then a pool made and set up on it, as qvm-to-lvm does. */
    private static ThinPool setUpAfterPrefetch(SimulatedLvm lvm) {
        HostDriverContext context = new HostDriverContext(lvm, CLOCK, Path.of("/tmp"));
        ThinDriver driver = new ThinDriver();
        driver.prepare(Map.of("volume_group", "qubes_dom0", "thin_pool", "vm-pool"), context);
        ThinPool pool = (ThinPool) driver.create(CONFIG, context);
        pool.setup();
        return pool;
    }

    @Test
    @DisplayName("the pool's set-up takes the report read ahead: one lvs in all, and the pool sees its volumes")
    void setUpUsesThePrefetchedReport() {
        SimulatedLvm lvm = lvmWithOneVolume();
        assertThat(setUpAfterPrefetch(lvm).listVolumes()).extracting(v -> v.vid()).contains("qubes_dom0/vm-work-private");
        assertThat(lvm.count("lvs")).isEqualTo(1);
    }

    @Test
    @DisplayName("a failed read ahead is not used: the set-up reads again, and succeeds if lvm now does")
    void failedPrefetchIsReadAgain() {
        SimulatedLvm lvm = lvmWithOneVolume();
        lvm.failNext = "lvs";
        assertThat(setUpAfterPrefetch(lvm).listVolumes()).extracting(v -> v.vid()).contains("qubes_dom0/vm-work-private");
        assertThat(lvm.count("lvs")).isEqualTo(2);
    }

    @Test
    @DisplayName("once loaded, a later read ahead does nothing; after a failed command the cache reads afresh")
    void prefetchOnlyWhenNeverLoaded() {
        SimulatedLvm lvm = lvmWithOneVolume();
        LvsCache cache = new LvsCache("qubes_dom0", new LvmRunner(lvm, true), CLOCK);
        cache.prefetch();
        assertThat(cache.contains("qubes_dom0/vm-work-private")).isTrue();
        cache.prefetch(); // loaded: nothing to read ahead
        assertThat(cache.all()).containsKey("qubes_dom0/vm-pool");
        assertThat(lvm.count("lvs")).isEqualTo(1);
        cache.invalidate();
        lvm.lvs.remove("vm-work-private");
        assertThat(cache.contains("qubes_dom0/vm-work-private")).isFalse();
        assertThat(lvm.count("lvs")).isEqualTo(2);
    }
}
