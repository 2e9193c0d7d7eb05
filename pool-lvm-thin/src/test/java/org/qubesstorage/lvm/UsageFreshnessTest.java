package org.qubesstorage.lvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/** Usage figures after this process's own changes are read again, not aged for 30 s (the clock stands still here). */
@DisplayName("lvm_thin usage after the process's own changes")
class UsageFreshnessTest {
    private static final long GIB = 1L << 30;
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);

    @Test
    @DisplayName("a volume just created and written reports its data at once, and so does the pool")
    void createdAndWritten() {
        SimulatedLvm lvm = new SimulatedLvm("qubes_dom0", "vm-pool", 100 * GIB);
        ThinPool pool = (ThinPool) new ThinDriver().create(new PoolConfig("lvm", "lvm_thin",
                Map.of("volume_group", "qubes_dom0", "thin_pool", "vm-pool")), new HostDriverContext(lvm, CLOCK, Path.of("/tmp")));
        Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef("work", false), "private", 2 * GIB));
        assertThat(pool.usage()).hasValue(10 * GIB);
        Locked.run(v, v::create);
        lvm.lvDataPercent.put("vm-work-private", "50.00");
        lvm.dataPercent = "11.00";
        assertThat(v.usage()).as("not 0 for 30 s").hasValue(GIB);
        assertThat(pool.usage()).hasValue(11 * GIB);

        long launches = lvm.lvmLaunches();
        v.usage();
        pool.usage();
        assertThat(lvm.lvmLaunches()).as("no change since: the report is reused").isEqualTo(launches);

        Locked.run(v, () -> {
            v.importData(2 * GIB); // handed out for writing
            v.importDataEnd(true);
        });
        lvm.lvDataPercent.put("vm-work-private", "75.00"); // what lvs reports of the imported data
        assertThat(v.usage()).hasValue(GIB + GIB / 2);
    }
}
