package org.qubesstorage.overlay.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.overlay.OverlayDriver;
import org.qubesstorage.overlay.catalog.Catalog;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/**
 * A template chain on the {@code overlay} driver (run inside the VM by {@link OverlayInVmIT}): a
 * root template, a branch of it, a branch of the branch and an AppVM on top, each level writing its
 * own data; every level sees exactly its own view, a parent's update leaves its branches' views
 * alone and makes them behind, the old revision stays while they sit on it, and each level reverts.
 */
@DisplayName("Template chains on the overlay driver (in the VM)")
public class InVmOverlayChains {
    private static final long MIB = 1 << 20;
    private static final long SIZE = 32 * MIB;

    @TempDir
    Path tmp;

    private Path dir;
    private Pool pool;

    private Pool pool() throws Exception {
        dir = Files.createDirectories(tmp.resolve("overlay-pool"));
        pool = new OverlayDriver().create(new PoolConfig("chains", OverlayDriver.NAME, Map.of("dir_path", dir.toString(),
                "revisions_to_keep", "0")), new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), tmp.resolve("run")));
        pool.setup();
        return pool;
    }

    private Volume template(String name) {
        return pool.initVolume(VolumeSpec.origin(new DomainRef(name, true), "root", SIZE));
    }

    /** A new root template whose first MiB holds {@code data(seed)}. */
    private Volume rootTemplate(String name, long seed) throws Exception {
        Volume v = template(name);
        Locked.run(v, v::create);
        write(v, 0, data(seed));
        return v;
    }

    /** A new template whose root is a clone of {@code parent}'s (what qvm-clone does). */
    private Volume branch(String name, Volume parent) {
        Volume v = template(name);
        Locked.run(v, () -> v.importVolume(parent));
        return v;
    }

    private static void write(Volume v, long offset, byte[] data) throws Exception {
        Locked.run(v, v::start);
        try (RandomAccessFile f = new RandomAccessFile(v.blockDevice().orElseThrow().path().toFile(), "rw")) {
            f.seek(offset);
            f.write(data);
            f.getFD().sync();
        }
        Locked.run(v, v::stop);
    }

    private static byte[] exported(Volume v, long offset, int length) throws Exception {
        Path p = v.export();
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(offset);
            f.readFully(b);
            return b;
        } finally {
            v.exportEnd(p);
        }
    }

    private static byte[] running(Volume v, long offset, int length) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(v.blockDevice().orElseThrow().path().toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(offset);
            f.readFully(b);
            return b;
        }
    }

    private static byte[] data(long seed) {
        byte[] b = new byte[(int) MIB];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    @DisplayName("three levels and an AppVM: each sees its own view; a parent's update leaves the branches behind on the old one")
    void chain() throws Exception {
        pool();
        Volume root = rootTemplate("debian", 1);
        Volume net = branch("debian-net", root);
        assertThat(pool.getVolume(net.vid()).orElseThrow().usage().getAsLong()).as("a clone holds no data").isLessThan(MIB);
        write(net, 4 * MIB, data(2));
        Volume usb = branch("debian-net-usb", net);
        write(usb, 8 * MIB, data(3));
        assertThat(net.usage().getAsLong()).as("the branch holds its own 1 MiB and metadata").isLessThan(MIB + MIB / 8);

        Volume app = pool.initVolume(VolumeSpec.snapshot(new DomainRef("work", false), "root", usb, true));
        Locked.run(app, app::create);
        Locked.run(app, app::start);
        assertThat(running(app, 0, (int) MIB)).isEqualTo(data(1));
        assertThat(running(app, 4 * MIB, (int) MIB)).isEqualTo(data(2));
        assertThat(running(app, 8 * MIB, (int) MIB)).isEqualTo(data(3));
        Locked.run(app, app::stop);

        assertThat(exported(root, 4 * MIB, (int) MIB)).as("the root does not see its branch's data").isEqualTo(new byte[(int) MIB]);
        assertThat(exported(net, 0, (int) MIB)).isEqualTo(data(1));
        assertThat(exported(net, 8 * MIB, (int) MIB)).isEqualTo(new byte[(int) MIB]);
        assertThat(exported(usb, 4 * MIB, (int) MIB)).isEqualTo(data(2));

        // the root template updates: its branches keep the view they were made from, and are behind
        write(root, 0, data(4));
        assertThat(exported(root, 0, (int) MIB)).isEqualTo(data(4));
        assertThat(exported(net, 0, (int) MIB)).isEqualTo(data(1));
        assertThat(exported(usb, 0, (int) MIB)).isEqualTo(data(1));
        Catalog catalog = Catalog.scan(dir);
        assertThat(catalog.behind(net.vid())).isTrue();
        assertThat(catalog.behind(usb.vid())).isFalse();
        assertThat(root.revisions()).as("the revision the branch sits on stays, revisions_to_keep=0 or not").hasSize(1);
        assertThatThrownBy(() -> Locked.run(root, root::remove)).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.IN_USE);
            assertThat(e.getMessage()).contains(net.vid());
        });

        // removing the branches releases it
        Locked.run(app, app::remove);
        Locked.run(usb, usb::remove);
        Locked.run(net, net::remove);
        assertThat(root.revisions()).isEmpty();
        Locked.run(root, root::remove);
        assertThat(Catalog.scan(dir).vids()).isEmpty();
    }

    @Test
    @DisplayName("every level reverts to its previous revision")
    void revert() throws Exception {
        pool();
        pool.setRevisionsToKeep(1);
        Volume root = rootTemplate("fedora", 5);
        Volume net = branch("fedora-net", root);
        write(net, MIB, data(6));
        write(net, MIB, data(7));
        write(root, 0, data(8));
        Locked.run(net, () -> net.revert(net.revisions().getLast().id()));
        assertThat(exported(net, MIB, (int) MIB)).isEqualTo(data(6));
        Locked.run(root, () -> root.revert(root.revisions().getLast().id()));
        assertThat(exported(root, 0, (int) MIB)).isEqualTo(data(5));
        assertThat(exported(net, 0, (int) MIB)).isEqualTo(data(5));
        for (Volume v : new Volume[] {net, root}) {
            Locked.run(v, v::remove);
        }
    }

    @Test
    @DisplayName("a running branch grows in place: its data stays, the new end reads zeros and takes writes; its parent keeps its size")
    void growRunningBranch() throws Exception {
        pool();
        Volume root = rootTemplate("arch", 9);
        Volume branch = branch("arch-dev", root);
        write(branch, 2 * MIB, data(10));
        Locked.run(branch, branch::start);
        Locked.run(branch, () -> branch.resize(3 * SIZE));
        Path device = branch.blockDevice().orElseThrow().path();
        assertThat(InVmLayerFormat.Sh.run("blockdev", "--getsize64", device.toString())).as("the running device's new size")
                .isEqualTo(Long.toString(3 * SIZE));
        try (RandomAccessFile f = new RandomAccessFile(device.toFile(), "rw")) {
            f.seek(3 * SIZE - MIB);
            f.write(data(11));
            f.getFD().sync();
        }
        assertThat(running(branch, 0, (int) MIB)).isEqualTo(data(9));
        assertThat(running(branch, 2 * MIB, (int) MIB)).isEqualTo(data(10));
        assertThat(running(branch, 2 * SIZE, (int) MIB)).as("grown space").isEqualTo(new byte[(int) MIB]);
        Locked.run(branch, branch::stop);
        assertThat(exported(branch, 3 * SIZE - MIB, (int) MIB)).isEqualTo(data(11));
        assertThat(exported(branch, 0, (int) MIB)).isEqualTo(data(9));
        assertThat(root.size()).isEqualTo(SIZE);
        Path rootExport = root.export();
        try {
            assertThat(Files.size(rootExport)).isEqualTo(SIZE);
        } finally {
            root.exportEnd(rootExport);
        }
        assertThatThrownBy(() -> Locked.run(branch, () -> branch.resize(SIZE))).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_SUPPORTED));
        Locked.run(branch, branch::remove);
        Locked.run(root, root::remove);
    }
}
