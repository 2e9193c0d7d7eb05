package org.qubesstorage.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

@DisplayName("Linux primitives through java.lang.foreign")
class NativePrimitivesTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("the data map finds exactly the written extents of a sparse file, never reading holes")
    void dataMap() throws Exception {
        Path f = SparseFiles.create(dir.resolve("sparse.img"), 64L << 20);
        SparseFiles.writeRandom(f, 1L << 20, 1 << 20, 1);
        SparseFiles.writeRandom(f, 40L << 20, 2 << 20, 2);
        try (NativeFile nf = NativeFile.openRead(f)) {
            List<DataMap.Extent> extents = DataMap.of(nf, 64L << 20);
            assertThat(extents).containsExactly(new DataMap.Extent(1L << 20, 2L << 20), new DataMap.Extent(40L << 20, 42L << 20));
        }
    }

    @Test
    @DisplayName("an empty sparse file has no data extents")
    void emptyMap() throws Exception {
        Path f = SparseFiles.create(dir.resolve("empty.img"), 8L << 20);
        try (NativeFile nf = NativeFile.openRead(f)) {
            assertThat(DataMap.of(nf, 8L << 20)).isEmpty();
            assertThat(nf.seekData(0)).isEmpty();
        }
    }

    @Test
    @DisplayName("punching a hole deallocates the range and it reads as zeros")
    void punchHole() throws Exception {
        Path f = SparseFiles.create(dir.resolve("p.img"), 4L << 20);
        SparseFiles.writeRandom(f, 0, 4 << 20, 3);
        long before = SparseFiles.allocated(f);
        try (NativeFile nf = NativeFile.openReadWrite(f)) {
            nf.punchHole(1L << 20, 2L << 20);
            nf.fsync();
        }
        assertThat(SparseFiles.allocated(f)).isLessThanOrEqualTo(before - (2L << 20));
        byte[] middle = new byte[4096];
        try (var raf = new java.io.RandomAccessFile(f.toFile(), "r")) {
            raf.seek(2L << 20);
            raf.readFully(middle);
        }
        assertThat(middle).containsOnly(0);
        assertThat(Files.size(f)).isEqualTo(4L << 20);
    }

    @Test
    @DisplayName("zeroing a range makes it read as zeros and keeps the file size")
    void zeroRange() throws Exception {
        Path f = SparseFiles.create(dir.resolve("z.img"), 4L << 20);
        SparseFiles.writeRandom(f, 0, 4 << 20, 5);
        try (NativeFile nf = NativeFile.openReadWrite(f)) {
            nf.zeroRange(1L << 20, 1L << 20);
            nf.fsync();
        }
        byte[] b = new byte[1 << 20];
        try (var raf = new java.io.RandomAccessFile(f.toFile(), "r")) {
            raf.seek(1L << 20);
            raf.readFully(b);
        }
        assertThat(b).containsOnly(0);
        assertThat(Files.size(f)).isEqualTo(4L << 20);
    }

    @Test
    @DisplayName("positional reads and writes round-trip through native memory")
    void preadPwrite() throws Exception {
        Path f = SparseFiles.create(dir.resolve("rw.img"), 1L << 20);
        try (Arena arena = Arena.ofConfined(); NativeFile nf = NativeFile.openReadWrite(f)) {
            MemorySegment buf = arena.allocate(8192, 4096);
            for (int i = 0; i < 8192; i++) {
                buf.set(ValueLayout.JAVA_BYTE, i, (byte) i);
            }
            nf.writeFully(buf, 8192, 12288);
            MemorySegment back = arena.allocate(8192, 4096);
            assertThat(nf.readFully(back, 8192, 12288)).isEqualTo(8192);
            assertThat(MemorySegment.mismatch(buf, 0, 8192, back, 0, 8192)).isEqualTo(-1);
            assertThat(nf.readFully(back, 8192, (1L << 20) - 100)).as("short read at end of file").isEqualTo(100);
        }
    }

    @Test
    @DisplayName("reflink on a file system without it is an expected UNSUPPORTED answer, not a crash")
    void reflinkUnsupportedHere() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(Reflink.isSupported(dir), "this /tmp supports reflink");
        Path a = SparseFiles.create(dir.resolve("a.img"), 1L << 20);
        try (NativeFile src = NativeFile.openRead(a); NativeFile dst = NativeFile.create(dir.resolve("b.img"), 0600)) {
            assertThat(Reflink.cloneFile(src, dst)).isEqualTo(Reflink.Outcome.UNSUPPORTED);
            assertThat(Reflink.cloneRange(src, 0, 4096, dst, 0)).isEqualTo(Reflink.Outcome.UNSUPPORTED);
        }
    }

    @Test
    @DisplayName("errors name the call, the path and the errno")
    void errors() {
        assertThatThrownBy(() -> NativeFile.openRead(dir.resolve("missing")))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
                    assertThat(e.getMessage()).contains("open", "missing", "No such file or directory", "errno 2");
                });
        Path f = dir.resolve("regular");
        assertThatThrownBy(() -> {
            Files.writeString(f, "x");
            try (NativeFile nf = NativeFile.openRead(f)) {
                nf.blockDeviceSize();
            }
        }).isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getMessage()).contains("BLKGETSIZE64", "errno 25"));
    }

    @Test
    @DisplayName("durable renames and deletes leave the directory in the new state")
    void durable() throws Exception {
        Path a = Files.writeString(dir.resolve("a"), "1");
        Path b = dir.resolve("b");
        DurableFiles.rename(a, b);
        assertThat(a).doesNotExist();
        assertThat(Files.readString(b)).isEqualTo("1");
        assertThat(DurableFiles.delete(b)).isTrue();
        assertThat(DurableFiles.delete(b)).isFalse();
        DurableFiles.createDirectories(dir.resolve("x/y/z"));
        assertThat(dir.resolve("x/y/z")).isDirectory();
    }
}
