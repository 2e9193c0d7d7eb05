package org.qubesstorage.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.copy.CopyMode;
import org.qubesstorage.copy.CopyRequest;
import org.qubesstorage.copy.CopyResult;
import org.qubesstorage.copy.SparseCopier;
import org.qubesstorage.copy.fs.MountCheck;
import org.qubesstorage.tck.ScratchFileSystem;

/** Block-device primitives and the copy engine against real loop devices (root only). */
@DisplayName("Block devices: loop devices, ioctls and copies onto devices")
class BlockDevicePrimitivesIT {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path backing;
    private Path loop;

    @BeforeEach
    void attach() throws Exception {
        assumeTrue(ScratchFileSystem.isRoot(), "needs root for loop devices");
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no loop devices here");
        backing = dir.resolve("backing.img");
        try (RandomAccessFile raf = new RandomAccessFile(backing.toFile(), "rw")) {
            raf.setLength(64 * MIB);
        }
        loop = Path.of(ScratchFileSystem.run(List.of("losetup", "--find", "--show", "--", backing.toString())).strip());
    }

    @AfterEach
    void detach() throws Exception {
        if (loop != null) {
            ScratchFileSystem.run(List.of("losetup", "-d", loop.toString()));
        }
    }

    private Path source() throws Exception {
        Path src = dir.resolve("src.img");
        try (RandomAccessFile raf = new RandomAccessFile(src.toFile(), "rw")) {
            raf.setLength(48 * MIB);
            byte[] b = new byte[(int) (3 * MIB)];
            new Random(1).nextBytes(b);
            raf.seek(5 * MIB);
            raf.write(b);
            raf.seek(40 * MIB);
            raf.write(b);
        }
        return src;
    }

    @Test
    @DisplayName("BLKGETSIZE64 reads the device size, and LOOP_SET_CAPACITY follows a grown backing file")
    void sizeAndCapacity() throws Exception {
        try (NativeFile dev = NativeFile.openRead(loop)) {
            assertThat(dev.blockDeviceSize()).isEqualTo(64 * MIB);
        }
        assertThat(LoopDevices.backedBy(backing)).containsExactly(loop);
        try (RandomAccessFile raf = new RandomAccessFile(backing.toFile(), "rw")) {
            raf.setLength(96 * MIB);
        }
        LoopDevices.refreshCapacity(backing);
        try (NativeFile dev = NativeFile.openRead(loop)) {
            assertThat(dev.blockDeviceSize()).isEqualTo(96 * MIB);
        }
    }

    @Test
    @DisplayName("BLKDISCARD on a loop device punches the backing file")
    void discard() throws Exception {
        try (NativeFile dev = NativeFile.openReadWrite(loop); java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            var buf = a.allocate(8 * MIB, 4096);
            buf.fill((byte) 7);
            dev.writeFully(buf, 8 * MIB, 0);
            dev.fsync();
            dev.discard(0, 8 * MIB);
            dev.fsync();
        }
        assertThat(SparseFiles.allocated(backing)).isLessThan(MIB);
    }

    @Test
    @DisplayName("a copy onto a fresh (zero) device writes only data, and verifies")
    void copyOntoZeroDevice() throws Exception {
        CopyResult r = new SparseCopier().copy(new CopyRequest(source(), loop, true, true, CopyMode.ALL_DATA,
                (d, t) -> { }, new org.qubesstorage.copy.CopyControl()));
        assertThat(r.verified()).isTrue();
        assertThat(r.bytesWritten()).isEqualTo(6 * MIB);
        assertThat(SparseFiles.allocated(backing)).isLessThanOrEqualTo(7 * MIB);
    }

    @Test
    @DisplayName("a copy onto a device holding old data zeroes the gaps (BLKZEROOUT) and verifies")
    void copyOntoDirtyDevice() throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(backing.toFile(), "rw")) {
            byte[] junk = new byte[(int) (4 * MIB)];
            new Random(9).nextBytes(junk);
            for (long off = 0; off < 64 * MIB; off += 8 * MIB) {
                raf.seek(off);
                raf.write(junk);
            }
        }
        Path src = source();
        CopyResult r = new SparseCopier().copy(new CopyRequest(src, loop, false, true, CopyMode.ALL_DATA,
                (d, t) -> { }, new org.qubesstorage.copy.CopyControl()));
        assertThat(r.verified()).isTrue();
        byte[] a = new byte[(int) (48 * MIB)];
        byte[] b = new byte[(int) (48 * MIB)];
        try (RandomAccessFile x = new RandomAccessFile(src.toFile(), "r"); RandomAccessFile y = new RandomAccessFile(backing.toFile(), "r")) {
            x.readFully(a);
            y.readFully(b);
        }
        assertThat(java.util.Arrays.mismatch(a, b)).isEqualTo(-1);
    }

    @Test
    @DisplayName("an image attached to a loop device is not trusted for a file-system-aware copy")
    void mountCheck() throws Exception {
        assertThat(MountCheck.inUse(backing)).get().asString().contains("attached to");
        CopyResult r = new SparseCopier().copy(CopyRequest.of(backing, dir.resolve("copy.img")).withMode(CopyMode.FILESYSTEM_AWARE));
        assertThat(r.fallbackReason()).get().asString().contains("attached to");
    }

    @Test
    @DisplayName("reflink on btrfs shares extents (filefrag reports them shared)")
    void reflinkShares() throws Exception {
        try (ScratchFileSystem fs = ScratchFileSystem.create("btrfs", 512 * MIB, dir.resolve("fs"))) {
            Path a = fs.mountPoint().resolve("a.img");
            Files.write(a, new byte[(int) MIB]);
            try (RandomAccessFile raf = new RandomAccessFile(a.toFile(), "rw")) {
                byte[] b = new byte[(int) MIB];
                new Random(3).nextBytes(b);
                raf.write(b);
            }
            ScratchFileSystem.run(List.of("sync"));
            Path c = fs.mountPoint().resolve("c.img");
            try (NativeFile src = NativeFile.openRead(a); NativeFile dst = NativeFile.create(c, 0600)) {
                assertThat(Reflink.cloneFile(src, dst)).isEqualTo(Reflink.Outcome.CLONED);
            }
            ScratchFileSystem.run(List.of("sync"));
            assertThat(ScratchFileSystem.run(List.of("filefrag", "-v", c.toString()))).contains("shared");
            assertThat(Files.mismatch(a, c)).isEqualTo(-1);
            assertThat(Reflink.isSupported(fs.mountPoint())).isTrue();
        }
    }
}
