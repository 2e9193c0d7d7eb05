package org.qubesstorage.overlay.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.linux.LoopDevices;
import org.qubesstorage.overlay.cow.CowFiles;
import org.qubesstorage.overlay.cow.CowGeometry;
import org.qubesstorage.overlay.cow.CowStore;
import org.qubesstorage.overlay.dm.ChainStack;
import org.qubesstorage.spi.StorageException;

/**
 * The device stack of a running chain on the real kernel (run inside the VM by {@link OverlayInVmIT}):
 * base → template branch → branch of a branch → the run's session, built, written, torn down.
 */
@DisplayName("A chain's device stack on real device-mapper (in the VM)")
public class InVmChainStack {
    private static final CowGeometry G = CowGeometry.DEFAULT;
    private static final int CHUNK = G.chunkBytes();
    private static final long SIZE = 16L << 20; // small: everything runs under an emulated CPU

    @TempDir
    Path tmp;

    private final DeviceMapper dm = DeviceMapper.kernel(ChainStack.NAMES);
    private final List<Runnable> cleanups = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        cleanups.reversed().forEach(Runnable::run);
    }

    /** base, a branch layer and a branch-of-branch layer, each with data of its own. */
    private List<Path> chain() throws Exception {
        Path base = CowFiles.image(tmp.resolve("base.img"), SIZE, 21, List.of(new long[] {0, 8L << 20}));
        Path branch = tmp.resolve("branch.cow");
        Path twig = tmp.resolve("twig.cow");
        try (CowStore b = CowStore.create(branch, G, SIZE); CowStore t = CowStore.create(twig, G, SIZE)) {
            for (long c = 0; c < 600; c += 3) {
                b.write(c, CowFiles.chunk(CHUNK, 1, c));
            }
            for (long c = 0; c < 1000; c += 5) {
                t.write(c, CowFiles.chunk(CHUNK, 2, c));
            }
            b.commit();
            t.commit();
        }
        return List.of(base, branch, twig);
    }

    private ChainStack stack(String id, Path base, List<Path> committed, Path session) {
        ChainStack s = new ChainStack(dm, id);
        cleanups.add(() -> s.tearDown(base, committed, session));
        return s;
    }

    private static List<Path> levels(List<Path> chain, int count) {
        return chain.subList(1, 1 + count);
    }

    @Test
    @DisplayName("the top device reads as the chain composes; the run's writes land in the session only; stop leaves no device or loop")
    void threeLevelsAndASession() throws Exception {
        List<Path> chain = chain();
        Path session = tmp.resolve("session.cow");
        CowStore.create(session, G, SIZE).close();
        String branchBefore = CowFiles.sha256(chain.get(1), java.nio.file.Files.size(chain.get(1)));
        String twigBefore = CowFiles.sha256(chain.get(2), java.nio.file.Files.size(chain.get(2)));
        List<Path> files = List.of(chain.get(0), chain.get(1), chain.get(2), session);
        ChainStack s = stack("00000000000000a1", chain.get(0), levels(chain, 2), session);
        Path top = s.build(chain.get(0), levels(chain, 2), session, SIZE, G);
        assertThat(compose(chain.get(0), List.of(chain.get(1), chain.get(2)))).isEqualTo(CowFiles.sha256(top, SIZE));
        Path random = CowFiles.image(tmp.resolve("random"), 4 << 20, 5, List.of(new long[] {0, 4 << 20}));
        InVmLayerFormat.Sh.run("dd", "if=" + random, "of=" + top, "bs=1M", "count=4", "seek=7", "conv=fsync,notrunc", "status=none");
        String running = CowFiles.sha256(top, SIZE);
        assertThat(s.top()).contains(top);
        s.tearDown(chain.get(0), levels(chain, 2), session);
        assertThat(s.top()).isEmpty();
        assertThat(Path.of("/dev/mapper/qov-00000000000000a1-map")).as("the committed view's map").doesNotExist();
        for (Path f : files) {
            assertThat(LoopDevices.backedBy(f)).as("loops of %s", f.getFileName()).isEmpty();
        }
        assertThat(compose(chain.get(0), List.of(chain.get(1), chain.get(2), session))).isEqualTo(running);
        assertThat(CowFiles.sha256(chain.get(1), java.nio.file.Files.size(chain.get(1)))).as("a committed layer is never written")
                .isEqualTo(branchBefore);
        assertThat(CowFiles.sha256(chain.get(2), java.nio.file.Files.size(chain.get(2)))).isEqualTo(twigBefore);
    }

    @Test
    @DisplayName("two running branches share their parent's loop devices; stopping one leaves the other readable")
    void siblingsShareTheParent() throws Exception {
        List<Path> chain = chain();
        Path s1 = tmp.resolve("s1.cow");
        Path s2 = tmp.resolve("s2.cow");
        CowStore.create(s1, G, SIZE).close();
        CowStore.create(s2, G, SIZE).close();
        ChainStack one = stack("00000000000000b1", chain.get(0), levels(chain, 1), s1);
        ChainStack two = stack("00000000000000b2", chain.get(0), levels(chain, 1), s2);
        Path top1 = one.build(chain.get(0), levels(chain, 1), s1, SIZE, G);
        Path top2 = two.build(chain.get(0), levels(chain, 1), s2, SIZE, G);
        assertThat(LoopDevices.backedBy(chain.get(0))).hasSize(1);
        assertThat(LoopDevices.backedBy(chain.get(1))).as("one loop device for the shared layer").hasSize(1);
        String expected = compose(chain.get(0), List.of(chain.get(1)));
        assertThat(CowFiles.sha256(top1, SIZE)).isEqualTo(expected);
        one.tearDown(chain.get(0), levels(chain, 1), s1);
        assertThat(CowFiles.sha256(top2, SIZE)).isEqualTo(expected);
        assertThat(LoopDevices.backedBy(chain.get(0))).hasSize(1);
        assertThat(LoopDevices.backedBy(s1)).isEmpty();
        two.tearDown(chain.get(0), levels(chain, 1), s2);
        assertThat(LoopDevices.backedBy(chain.get(0))).isEmpty();
        assertThat(LoopDevices.backedBy(chain.get(1))).isEmpty();
    }

    @Test
    @DisplayName("a stack a crashed run left is found by name and removed; a failed build leaves nothing")
    void crashAndFailure() throws Exception {
        List<Path> chain = chain();
        Path session = tmp.resolve("session.cow");
        CowStore.create(session, G, SIZE).close();
        new ChainStack(dm, "00000000000000c1").build(chain.get(0), levels(chain, 2), session, SIZE, G);
        ChainStack afterCrash = stack("00000000000000c1", chain.get(0), levels(chain, 2), session);
        assertThat(afterCrash.top()).isPresent();
        assertThatThrownBy(() -> afterCrash.build(chain.get(0), levels(chain, 2), session, SIZE, G))
                .isInstanceOf(StorageException.class).hasMessageContaining("exists already");
        afterCrash.tearDown(chain.get(0), levels(chain, 2), session);
        assertThat(afterCrash.top()).isEmpty();
        assertThat(LoopDevices.backedBy(chain.get(0))).isEmpty();

        Path missing = tmp.resolve("no-such-session.cow");
        ChainStack failing = stack("00000000000000c2", chain.get(0), levels(chain, 1), missing);
        assertThatThrownBy(() -> failing.build(chain.get(0), levels(chain, 1), missing, SIZE, G))
                .isInstanceOf(StorageException.class);
        assertThat(failing.top()).isEmpty();
        assertThat(LoopDevices.backedBy(chain.get(0))).isEmpty();
        assertThat(LoopDevices.backedBy(chain.get(1))).isEmpty();
        assertThat(Path.of("/dev/mapper/qov-00000000000000c2-map")).doesNotExist();
        assertThatThrownBy(() -> new ChainStack(dm, "x; rm -rf /")).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> new ChainStack(dm, "--help")).isInstanceOf(StorageException.class);
    }

    @Test
    @DisplayName("a layer scattered over 8,192 extents (a table of over 128 KiB) is mapped whole, in one ioctl")
    void aMapLongerThanAnArgument() throws Exception {
        CowGeometry small = new CowGeometry(8); // 4 KiB chunks: 8,192 of them in 32 MiB
        long size = 32L << 20;
        Path base = CowFiles.image(tmp.resolve("wide-base.img"), size, 31, List.of());
        Path layer = tmp.resolve("wide.cow");
        try (CowStore l = CowStore.create(layer, small, size)) {
            for (long c = 0; c < size / small.chunkBytes(); c += 2) {
                l.write(c, CowFiles.chunk(small.chunkBytes(), 3, c));
            }
            l.commit();
        }
        Path session = tmp.resolve("wide-session.cow");
        CowStore.create(session, small, size).close();
        ChainStack s = stack("00000000000000d1", base, List.of(layer), session);
        Path top = s.build(base, List.of(layer), session, size, small);
        assertThat(CowFiles.sha256(top, size)).isEqualTo(CowFiles.composedSha256(base, List.of(layer), size, null));
        String table = InVmLayerFormat.Sh.run("dmsetup", "table", "--", "qov-00000000000000d1-map");
        assertThat(table.lines().count()).as("extents mapped").isEqualTo(size / small.chunkBytes());
        assertThat(table.length()).isGreaterThan(128 << 10);
    }

    private static String compose(Path base, List<Path> layers) throws Exception {
        return CowFiles.composedSha256(base, layers, SIZE, null);
    }
}
