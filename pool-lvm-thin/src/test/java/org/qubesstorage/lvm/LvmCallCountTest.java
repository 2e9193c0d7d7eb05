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

/**
 * Counts lvm processes for common work and prints them next to upstream's. Upstream's figures are
 * derived from its {@code qubes/storage/lvm.py}: its global lvs cache is filled by one {@code lvs} at start-up and
 * re-read in full ({@code reset_cache}) after every mutating command; removing an LV whose device
 * node is missing runs nothing. Ours keeps the cache current from each command's effect.
 */
@DisplayName("lvm process launches, compared with upstream")
class LvmCallCountTest {
    private static final long GIB = 1L << 30;

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

    private static ThinPool pool(SimulatedLvm lvm) {
        return (ThinPool) new ThinDriver().create(new PoolConfig("lvm", "lvm_thin",
                Map.of("volume_group", "qubes_dom0", "thin_pool", "vm-pool", "revisions_to_keep", "1")),
                new HostDriverContext(lvm, CLOCK, Path.of("/tmp")));
    }


    private static void row(String work, long ours, long upstream) {
        System.out.printf("lvm calls | %-52s | ours %3d | upstream %3d%n", work, ours, upstream);
    }

    @Test
    @DisplayName("listing 1,000 volumes takes one lvs")
    void listing() {
        SimulatedLvm lvm = new SimulatedLvm("qubes_dom0", "vm-pool", 10_000 * GIB);
        for (int i = 0; i < 1000; i++) {
            String n = "vm-q" + i + "-private";
            lvm.lvs.put(n, new SimulatedLvm.Lv(n, "vm-pool", 2 * GIB, "Vwi-a-tz--", ""));
        }
        ThinPool p = pool(lvm);
        assertThat(p.listVolumes()).hasSize(1000);
        p.listVolumes().forEach(Volume::size);
        long ours = lvm.lvmLaunches();
        // Upstream: the lvs it runs when the module is imported; list_volumes reads that cache.
        row("list 1,000 volumes and read their sizes", ours, 1);
        assertThat(ours).isEqualTo(1);
    }

    @Test
    @DisplayName("starting and stopping a domain (root snapshot, private origin, volatile), and a clone, take fewer than upstream")
    void domainAndClone() {
        SimulatedLvm lvm = new SimulatedLvm("qubes_dom0", "vm-pool", 100 * GIB);
        ThinPool p = pool(lvm);
        Volume tplRoot = p.initVolume(VolumeSpec.origin(new DomainRef("fedora", true), "root", 10 * GIB));
        Locked.run(tplRoot, tplRoot::create);
        Volume root = p.initVolume(VolumeSpec.snapshot(new DomainRef("work", false), "root", tplRoot, true));
        Volume priv = p.initVolume(VolumeSpec.origin(new DomainRef("work", false), "private", 2 * GIB));
        Volume vol = p.initVolume(VolumeSpec.volatileVolume(new DomainRef("work", false), "volatile", 10 * GIB));
        Locked.run(priv, priv::create);
        // Steady state: the private volume already has its one revision, so a commit prunes one.
        Locked.run(priv, priv::start);
        Locked.run(priv, priv::stop);
        assertThat(priv.revisions()).hasSize(1);

        long before = lvm.lvmLaunches();
        for (Volume v : new Volume[] {root, priv, vol}) {
            Locked.run(v, v::start);
        }
        long start = lvm.lvmLaunches() - before;
        before = lvm.lvmLaunches();
        for (Volume v : new Volume[] {root, priv, vol}) {
            Locked.run(v, v::stop);
        }
        long stop = lvm.lvmLaunches() - before;

        before = lvm.lvmLaunches();
        Volume clone = p.initVolume(VolumeSpec.origin(new DomainRef("work2", false), "private", 2 * GIB));
        Locked.run(clone, clone::create);
        Locked.run(clone, () -> clone.importVolume(priv));
        long cloneCount = lvm.lvmLaunches() - before;

        // Upstream start: root clone+lvs, private clone+lvs, volatile create+lvs (its remove of a
        // missing LV runs nothing) = 6. Stop: root remove+lvs, private rename+lvs, rename+lvs,
        // prune remove+lvs, volatile remove+lvs = 10. Clone: create+lvs, then _commit(keep): rename
        // current to -back+lvs and thin snapshot+lvs = 6.
        row("start a domain (root snapshot, private, volatile)", start, 6);
        row("stop that domain (commit with one revision pruned)", stop, 10);
        row("clone a private volume within the pool", cloneCount, 6);
        assertThat(start).isLessThan(6);
        assertThat(stop).isLessThan(10);
        assertThat(cloneCount).isLessThan(6);
        assertThat(start + stop + cloneCount).isEqualTo(3 + 5 + 3);
    }
}
