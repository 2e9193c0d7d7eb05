package org.qubesstorage.overlay.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.overlay.cow.CowFiles;
import org.qubesstorage.overlay.cow.CowGeometry;
import org.qubesstorage.overlay.cow.CowStore;
import org.qubesstorage.overlay.cow.LayerMerge;

/**
 * The layer format against the kernel itself (run inside the VM by {@link OverlayInVmIT}): a layer
 * written in Java is read by dm-snapshot, a layer written through dm-snapshot is read in Java, the
 * two take turns on one file, and a two-level stack of snapshot targets shows what the Java chain
 * composes. Volume contents are compared whole, by SHA-256.
 */
@DisplayName("The layer format against the kernel's dm-snapshot (in the VM)")
public class InVmLayerFormat {
    private static final CowGeometry G = new CowGeometry(8); // 4 KiB chunks: 256 exceptions per area, so areas fill quickly
    private static final int CHUNK = G.chunkBytes();
    private static final long SIZE = 4096L * CHUNK + 3 * 512; // 16 MiB and a partial chunk
    private static final List<long[]> BASE_DATA = List.of(new long[] {0, 1024L * CHUNK}, new long[] {3000L * CHUNK, 3100L * CHUNK + 700});

    @TempDir
    Path tmp;

    private final List<String> devices = new ArrayList<>();
    private final List<String> loops = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        while (!devices.isEmpty()) {
            Sh.run("dmsetup", "remove", "--", devices.removeLast()); // the top of a stack first
        }
        while (!loops.isEmpty()) {
            Sh.run("losetup", "-d", loops.removeLast()); // a path losetup itself printed; it takes no "--" here
        }
    }

    @Test
    @DisplayName("a layer Java wrote (three metadata areas, a partial last chunk) reads through dm-snapshot as Java composes it")
    void javaWritesKernelReads() throws Exception {
        Path base = CowFiles.image(tmp.resolve("base.img"), SIZE, 11, BASE_DATA);
        Path cow = tmp.resolve("layer.cow");
        try (CowStore layer = CowStore.create(cow, G, SIZE)) {
            for (long c = 0; c < 700; c++) {
                long chunk = (c * 7) % 4097; // scattered, inside and outside the base's data, the partial chunk 4096 too
                if (!layer.holds(chunk)) {
                    layer.write(chunk, CowFiles.chunk(CHUNK, 1, chunk));
                }
            }
            layer.commit();
            assertThat(layer.exceptionCount()).isGreaterThan(2 * G.exceptionsPerArea());
        }
        String javaView = javaExport(base, List.of(cow));
        String device = snapshot("ov-java", loop(base, true), loop(cow, false));
        assertThat(CowFiles.sha256(Path.of(device), SIZE)).isEqualTo(javaView);
    }

    @Test
    @DisplayName("a layer the kernel wrote (sequential and partial-chunk writes over three areas) reads in Java as the device read")
    void kernelWritesJavaReads() throws Exception {
        Path base = CowFiles.image(tmp.resolve("base.img"), SIZE, 12, BASE_DATA);
        Path cow = tmp.resolve("layer.cow");
        CowStore.create(cow, G, SIZE).close();
        String device = snapshot("ov-kernel", loop(base, true), loop(cow, false));
        Path random = CowFiles.image(tmp.resolve("random"), 4 << 20, 99, List.of(new long[] {0, 4 << 20}));
        Sh.run("dd", "if=" + random, "of=" + device, "bs=1M", "count=3", "seek=2", "conv=fsync,notrunc", "status=none");
        // sub-chunk writes: the kernel copies the rest of the chunk from the origin first
        Sh.run("dd", "if=" + random, "of=" + device, "bs=512", "count=3", "seek=" + (3050L * 8 + 1), "conv=fsync,notrunc", "status=none");
        Sh.run("dd", "if=" + random, "of=" + device, "bs=512", "count=2", "seek=" + (4096L * 8 + 1), "conv=fsync,notrunc", "status=none");
        String kernelView = CowFiles.sha256(Path.of(device), SIZE);
        removeAll();
        try (CowStore layer = CowStore.open(cow, false)) {
            assertThat(layer.exceptionCount()).isEqualTo(768 + 1 + 1);
        }
        assertThat(javaExport(base, List.of(cow))).isEqualTo(kernelView);
    }

    @Test
    @DisplayName("Java and the kernel take turns on one layer: each continues the other's table")
    void takingTurns() throws Exception {
        Path base = CowFiles.image(tmp.resolve("base.img"), SIZE, 13, BASE_DATA);
        Path cow = tmp.resolve("layer.cow");
        try (CowStore layer = CowStore.create(cow, G, SIZE)) {
            for (long c = 0; c < 300; c++) {
                layer.write(c * 3, CowFiles.chunk(CHUNK, 1, c * 3));
            }
            layer.commit();
        }
        String device = snapshot("ov-turns", loop(base, true), loop(cow, false));
        Path random = CowFiles.image(tmp.resolve("random"), 2 << 20, 98, List.of(new long[] {0, 2 << 20}));
        Sh.run("dd", "if=" + random, "of=" + device, "bs=1M", "count=1", "seek=10", "conv=fsync,notrunc", "status=none");
        removeAll();
        try (CowStore layer = CowStore.open(cow, true)) {
            for (long c = 3500; c < 3800; c++) {
                layer.write(c, CowFiles.chunk(CHUNK, 2, c));
            }
            layer.write(0, CowFiles.chunk(CHUNK, 2, 0)); // rewritten in place
            layer.commit();
        }
        String javaView = javaExport(base, List.of(cow));
        String again = snapshot("ov-turns2", loop(base, true), loop(cow, false));
        assertThat(CowFiles.sha256(Path.of(again), SIZE)).isEqualTo(javaView);
    }

    @Test
    @DisplayName("a two-level stack of snapshot targets shows exactly what the Java chain composes")
    void twoLevels() throws Exception {
        Path base = CowFiles.image(tmp.resolve("base.img"), SIZE, 14, BASE_DATA);
        Path lower = tmp.resolve("lower.cow");
        Path upper = tmp.resolve("upper.cow");
        try (CowStore l = CowStore.create(lower, G, SIZE); CowStore u = CowStore.create(upper, G, SIZE)) {
            for (long c = 0; c < 400; c++) {
                l.write(c * 5, CowFiles.chunk(CHUNK, 1, c * 5));
                u.write(c * 3, CowFiles.chunk(CHUNK, 2, c * 3));
            }
            l.commit();
            u.commit();
        }
        String javaView = javaExport(base, List.of(lower, upper));
        String middle = snapshot("ov-lower", loop(base, true), loop(lower, false));
        String top = snapshot("ov-upper", middle, loop(upper, false));
        assertThat(CowFiles.sha256(Path.of(top), SIZE)).isEqualTo(javaView);
    }

    @Test
    @DisplayName("a run's changes the kernel wrote, merged in Java into the layer below, read through the kernel as the stack did")
    void stopMergesTheSession() throws Exception {
        Path base = CowFiles.image(tmp.resolve("base.img"), SIZE, 15, BASE_DATA);
        Path layer = tmp.resolve("layer.cow");
        Path session = tmp.resolve("session.cow");
        try (CowStore l = CowStore.create(layer, G, SIZE)) {
            for (long c = 0; c < 500; c++) {
                l.write(c * 4, CowFiles.chunk(CHUNK, 1, c * 4));
            }
            l.commit();
        }
        CowStore.create(session, G, SIZE).close();
        String volume = snapshot("ov-layer", loop(base, true), loop(layer, true), true);
        String running = snapshot("ov-session", volume, loop(session, false));
        Path random = CowFiles.image(tmp.resolve("random"), 4 << 20, 97, List.of(new long[] {0, 4 << 20}));
        Sh.run("dd", "if=" + random, "of=" + running, "bs=64K", "count=40", "seek=20", "conv=fsync,notrunc", "status=none");
        Sh.run("dd", "if=" + random, "of=" + running, "bs=512", "count=1", "seek=" + (2000L * 8 + 3), "conv=fsync,notrunc", "status=none");
        String whileRunning = CowFiles.sha256(Path.of(running), SIZE);
        removeAll();
        Path merged = tmp.resolve("merged.cow");
        try (CowStore l = CowStore.open(layer, false); CowStore s = CowStore.open(session, false)) {
            LayerMerge.merge(l, s, merged, SIZE);
        }
        String afterStop = snapshot("ov-merged", loop(base, true), loop(merged, true), true);
        assertThat(CowFiles.sha256(Path.of(afterStop), SIZE)).isEqualTo(whileRunning);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static String javaExport(Path base, List<Path> layers) throws Exception {
        return CowFiles.composedSha256(base, layers, SIZE, BASE_DATA);
    }

    private String loop(Path file, boolean readOnly) throws Exception {
        String dev = readOnly ? Sh.run("losetup", "-f", "--show", "-r", "--", file.toString()) : Sh.run("losetup", "-f", "--show", "--", file.toString());
        loops.add(dev);
        return dev;
    }

    /** A persistent snapshot of {@code origin} with its exceptions in {@code cow}, 4 KiB chunks; its device path. */
    private String snapshot(String name, String origin, String cow) throws Exception {
        return snapshot(name, origin, cow, false);
    }

    /** As {@link #snapshot(String, String, String)}; {@code readOnly}: a read-only table (a committed layer, never written). */
    private String snapshot(String name, String origin, String cow, boolean readOnly) throws Exception {
        long sectors = SIZE / 512;
        List<String> cmd = new ArrayList<>(List.of("dmsetup", "create"));
        if (readOnly) {
            cmd.add("--readonly");
        }
        cmd.addAll(List.of("--table", "0 " + sectors + " snapshot " + origin + " " + cow + " P " + G.chunkSectors(), "--", name));
        Sh.run(cmd.toArray(String[]::new));
        devices.add(name);
        Sh.run("dmsetup", "mknodes", "--", name); // no udev in the VM to make the node
        return "/dev/mapper/" + name;
    }

    private void removeAll() throws Exception {
        tearDown();
    }

    /** Runs a command, fails with its output unless it exits 0, returns stdout stripped. */
    static final class Sh {
        static String run(String... cmd) throws Exception {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            int rc = p.waitFor();
            if (rc != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " exited " + rc + ": " + out);
            }
            return out;
        }
    }
}
