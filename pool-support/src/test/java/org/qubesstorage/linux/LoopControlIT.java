package org.qubesstorage.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.tck.ScratchFileSystem;

/**
 * Loop devices attached and detached through the ioctls, checked against what the kernel reports
 * in sysfs and what {@code losetup} lists (root only; this host's kernel has loop devices).
 */
@DisplayName("Loop devices through LOOP_CTL_GET_FREE, LOOP_CONFIGURE and LOOP_CLR_FD")
class LoopControlIT {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private final DeviceMapperBackend kernel = DeviceMapperBackend.kernel();
    private final List<Path> attached = new ArrayList<>();

    @BeforeEach
    void root() {
        assumeTrue(ScratchFileSystem.isRoot(), "needs root for loop devices");
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no loop devices here");
    }

    @AfterEach
    void detachAll() throws Exception {
        for (Path f : List.copyOf(attached)) {
            for (Path loop : LoopDevices.backedBy(f)) {
                ScratchFileSystem.run(List.of("losetup", "--detach", loop.toString()));
            }
        }
    }

    private Path image(String name) throws Exception {
        Path f = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(8 * MIB);
        }
        attached.add(f);
        return f;
    }

    private static String sys(Path loop, String attribute) throws Exception {
        return Files.readString(Path.of("/sys/block", loop.getFileName().toString(), attribute)).strip();
    }

    @Test
    @DisplayName("attaches a file writable: losetup lists it, writes through the device reach the file, detach frees it")
    void attachWriteDetach() throws Exception {
        Path f = image("a.img");
        Path loop = kernel.attachLoop(f, false);
        assertThat(ScratchFileSystem.run(List.of("losetup", "--noheadings", "--output", "BACK-FILE", "--", loop.toString())).strip())
                .isEqualTo(f.toRealPath().toString());
        assertThat(sys(loop, "ro")).isEqualTo("0");
        try (RandomAccessFile dev = new RandomAccessFile(loop.toFile(), "rw")) {
            dev.seek(3 * MIB);
            dev.write("through the loop".getBytes(StandardCharsets.US_ASCII));
            dev.getFD().sync();
        }
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
            byte[] b = new byte[16];
            raf.seek(3 * MIB);
            raf.readFully(b);
            assertThat(new String(b, StandardCharsets.US_ASCII)).isEqualTo("through the loop");
        }
        kernel.detachLoop(loop);
        assertThat(LoopDevices.backedBy(f)).isEmpty();
        kernel.detachLoop(loop); // a device with no file is left as it is
    }

    @Test
    @DisplayName("a file already attached gets its device back, never a second one; read-only where asked, and never reused writable")
    void reuseAndReadOnly() throws Exception {
        Path f = image("b.img");
        Path loop = kernel.attachLoop(f, false);
        assertThat(kernel.attachLoop(f, false)).isEqualTo(loop);
        assertThat(kernel.attachLoop(f, true)).as("a writable device serves a read-only user, as losetup --nooverlap does").isEqualTo(loop);
        assertThat(LoopDevices.backedBy(f)).containsExactly(loop);

        Path g = image("c.img");
        Path ro = kernel.attachLoop(g, true);
        assertThat(sys(ro, "ro")).isEqualTo("1");
        assertThatThrownBy(() -> {
            try (RandomAccessFile dev = new RandomAccessFile(ro.toFile(), "rw")) {
                dev.write(1);
                dev.getFD().sync();
            }
        }).as("the kernel refuses writes").isInstanceOf(java.io.IOException.class);
        assertThatThrownBy(() -> kernel.attachLoop(g, false)).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.BUSY));
        assertThat(LoopDevices.backedBy(g)).containsExactly(ro);
    }

    @Test
    @DisplayName("a detach while the device is held open takes effect at its last close; reusing it first cancels that")
    void detachWhileHeld() throws Exception {
        Path f = image("d.img");
        Path loop = kernel.attachLoop(f, false);
        try (RandomAccessFile held = new RandomAccessFile(loop.toFile(), "r")) {
            kernel.detachLoop(loop);
            assertThat(sys(loop, "loop/autoclear")).isEqualTo("1");
            assertThat(kernel.attachLoop(f, false)).isEqualTo(loop);
            assertThat(sys(loop, "loop/autoclear")).as("reused: it must stay").isEqualTo("0");
        }
        assertThat(LoopDevices.backedBy(f)).containsExactly(loop);
        try (RandomAccessFile held = new RandomAccessFile(loop.toFile(), "r")) {
            kernel.detachLoop(loop);
        }
        assertThat(LoopDevices.backedBy(f)).as("detached at the last close").isEmpty();
    }

    @Test
    @DisplayName("a missing file is refused before any device is taken")
    void missingFile() {
        Path f = dir.resolve("none.img");
        assertThatThrownBy(() -> kernel.attachLoop(f, false)).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }
}
