package org.qubesstorage.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qubesstorage.linux.SparseFiles;
import org.qubesstorage.spi.StorageException;

@DisplayName("The sparse copy engine, file to file")
class SparseCopierTest {
    @TempDir
    Path dir;

    private final SparseCopier copier = new SparseCopier();

    /** 64 MiB + 777 bytes: three data extents, one holding a 1 MiB run of written zeros. */
    private Path source() throws Exception {
        Path src = SparseFiles.create(dir.resolve("src.img"), (64L << 20) + 777);
        SparseFiles.writeRandom(src, 0, 3 << 20, 1);
        SparseFiles.write(src, 1L << 20, new byte[1 << 20]); // zeros inside a data extent
        SparseFiles.writeRandom(src, 20L << 20, 5 << 20, 2);
        SparseFiles.writeRandom(src, 64L << 20, 777, 3); // unaligned tail
        return src;
    }

    @Test
    @DisplayName("copies the content exactly, skipping holes and zero granules")
    void copies() throws Exception {
        Path src = source();
        Path dst = dir.resolve("dst.img");
        CopyResult r = copier.copy(CopyRequest.of(src, dst).verified());
        assertThat(r.verified()).isTrue();
        assertThat(Files.size(dst)).isEqualTo(Files.size(src));
        assertThat(Files.mismatch(src, dst)).isEqualTo(-1);
        assertThat(r.bytesWritten()).isEqualTo((2L << 20) + (5L << 20) + 777);
        assertThat(SparseFiles.allocated(dst)).as("target allocation").isLessThanOrEqualTo((7L << 20) + 8192);
        assertThat(r.bytesExamined()).isLessThanOrEqualTo(SparseFiles.allocated(src));
    }

    @Test
    @DisplayName("a verified digest equals the digest of the source read on its own")
    void digests() throws Exception {
        Path src = source();
        Path dst = dir.resolve("dst.img");
        CopyResult r = copier.copy(CopyRequest.of(src, dst).verified());
        assertThat(r.sourceDigest()).contains(copier.digestOf(src));
        assertThat(r.targetDigest()).contains(copier.digestOf(dst));
        SparseFiles.writeRandom(dst, 30L << 20, 10, 9);
        assertThat(copier.digestOf(dst)).isNotEqualTo(r.sourceDigest().get());
    }

    /**
     * The target is damaged after the last cell was written and before the read-back: in written
     * data, in the zeros the copy skipped inside a data extent, in the unaligned tail, and in a
     * hole that shares a cell with data. Each must fail the copy.
     */
    @ParameterizedTest(name = "damage at byte {0}")
    @ValueSource(longs = {5, (1L << 20) + 4096, (64L << 20) + 700, (22L << 20) + (3L << 20)})
    @DisplayName("verification fails when the target does not read back as the source")
    void verificationCatchesDamage(long offset) throws Exception {
        Path src = source();
        Path dst = dir.resolve("dst.img");
        AtomicBoolean damaged = new AtomicBoolean();
        CopyListener damage = (done, total) -> {
            if (done == total && damaged.compareAndSet(false, true)) {
                try {
                    SparseFiles.writeRandom(dst, offset, 16, 42);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        assertThatThrownBy(() -> copier.copy(CopyRequest.of(src, dst).verified().withListener(damage)))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("Verification failed")
                .hasMessageContaining(dst.toString());
        assertThat(damaged).isTrue();
    }

    @ParameterizedTest(name = "direct reads: {0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("reads the same content through O_DIRECT as through the page cache")
    void directAndBufferedReadsAgree(boolean direct) throws Exception {
        Path src = source();
        Path dst = dir.resolve("dst.img");
        CopyResult r = new SparseCopier(3, direct).copy(CopyRequest.of(src, dst).verified());
        assertThat(r.verified()).isTrue();
        assertThat(Files.mismatch(src, dst)).isEqualTo(-1);
        assertThat(r.sourceDigest()).contains(copier.digestOf(src));
    }

    @Test
    @DisplayName("a preallocated source's zeros are not written, and its digest is that of the same content stored sparsely")
    void preallocatedZeros() throws Exception {
        Path src = dir.resolve("prealloc.img");
        Files.write(src, new byte[32 << 20]); // 32 MiB of written zeros: all data, as far as SEEK_DATA knows
        SparseFiles.writeRandom(src, (13L << 20) + (64 << 10), 1 << 20, 7);
        Path sparse = SparseFiles.create(dir.resolve("sparse.img"), 32L << 20);
        SparseFiles.writeRandom(sparse, (13L << 20) + (64 << 10), 1 << 20, 7);
        Path dst = dir.resolve("dst.img");
        CopyResult r = copier.copy(CopyRequest.of(src, dst).verified());
        assertThat(r.verified()).isTrue();
        assertThat(r.bytesExamined()).isEqualTo(32L << 20);
        assertThat(r.bytesWritten()).isEqualTo(1L << 20);
        assertThat(SparseFiles.allocated(dst)).isLessThanOrEqualTo((1L << 20) + (128 << 10));
        assertThat(Files.mismatch(src, dst)).isEqualTo(-1);
        assertThat(r.sourceDigest()).contains(copier.digestOf(sparse));
    }

    @Test
    @DisplayName("replaces an existing target: its old data does not survive in the holes")
    void replacesTarget() throws Exception {
        Path src = source();
        Path dst = SparseFiles.create(dir.resolve("dst.img"), 80L << 20);
        SparseFiles.writeRandom(dst, 10L << 20, 4 << 20, 5);
        copier.copy(CopyRequest.of(src, dst));
        assertThat(Files.mismatch(src, dst)).isEqualTo(-1);
    }

    @Test
    @DisplayName("reports progress up to the allocated total")
    void progress() throws Exception {
        Path src = source();
        AtomicLong last = new AtomicLong();
        AtomicLong total = new AtomicLong();
        copier.copy(CopyRequest.of(src, dir.resolve("dst.img")).withListener((done, all) -> {
            last.accumulateAndGet(done, Math::max);
            total.set(all);
        }));
        assertThat(last.get()).isEqualTo(total.get()).isPositive();
    }

    @Test
    @DisplayName("can be cancelled")
    void cancel() throws Exception {
        Path src = source();
        CopyControl control = new CopyControl();
        control.cancel();
        assertThatThrownBy(() -> copier.copy(CopyRequest.of(src, dir.resolve("dst.img")).withControl(control)))
                .isInstanceOf(CancellationException.class);
    }

    @Test
    @DisplayName("an empty sparse source gives an empty sparse target")
    void emptySource() throws Exception {
        Path src = SparseFiles.create(dir.resolve("empty.img"), 32L << 20);
        Path dst = dir.resolve("dst.img");
        CopyResult r = copier.copy(CopyRequest.of(src, dst).verified());
        assertThat(r.bytesWritten()).isZero();
        assertThat(Files.size(dst)).isEqualTo(32L << 20);
        assertThat(SparseFiles.allocated(dst)).isZero();
        assertThat(r.verified()).isTrue();
    }
}
