package org.qubesstorage.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.dynatrace.hash4j.hashing.HashStream128;
import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hashing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Native hashing and zero scan (libxxhash, memcmp) agree with the Java ones")
class NativeKernelsTest {
    private NativeKernels kernels;

    @BeforeEach
    void needsLibxxhash() {
        assumeTrue(NativeKernels.get().isPresent(), "libxxhash.so.0 is not installed (apt-get install libxxhash0)");
        kernels = NativeKernels.get().orElseThrow();
    }

    @Test
    @DisplayName("XXH3-128 equals hash4j's for lengths around every internal block boundary")
    void xxh3MatchesHash4j() {
        SplittableRandom random = new SplittableRandom(7);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate((4 << 20) + 64, 4096);
            for (long i = 0; i < data.byteSize(); i++) {
                data.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
            }
            long[] lengths = {0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1024, 1025, 65536 + 7, 1 << 20, (4 << 20) + 13};
            for (long length : lengths) {
                for (long offset : new long[] {0, 1, 51}) {
                    HashValue128 expected = Hashing.xxh3_128().hashBytesTo128Bits(data.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
                    assertThat(kernels.xxh3_128(data, offset, length))
                            .as("length %d at offset %d", length, offset)
                            .containsExactly(expected.getMostSignificantBits(), expected.getLeastSignificantBits());
                }
            }
        }
    }

    @Test
    @DisplayName("the run-time dispatched XXH3-128 (AVX2 where the CPU has it) equals the baseline one")
    void dispatchedHashEqualsBaseline() {
        assumeTrue(SymbolLookup.libraryLookup("libxxhash.so.0", Arena.global()).find(NativeKernels.DISPATCHED_HASH).isPresent(),
                "this libxxhash was built without the dispatcher");
        NativeKernels baseline = NativeKernels.bind(false).orElseThrow();
        SplittableRandom random = new SplittableRandom(13);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate((4 << 20) + 64, 4096);
            for (long i = 0; i < data.byteSize(); i += 8) {
                data.set(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
            }
            for (long length : new long[] {0, 17, 240, 241, 1025, 65536 + 7, (4 << 20) + 13}) {
                assertThat(kernels.xxh3_128(data, 3, length)).as("length %d", length)
                        .containsExactly(baseline.xxh3_128(data, 3, length));
            }
        }
    }

    @Test
    @DisplayName("the all-zero test finds a single non-zero byte anywhere, natively and in Java")
    void zeroScanAgrees() {
        try (Arena arena = Arena.ofConfined()) {
            int length = (4 << 20) + 100;
            MemorySegment buffer = arena.allocate(length, 4096);
            assertThat(Zeros.isZero(buffer, 0, length, Optional.of(kernels))).isTrue();
            assertThat(Zeros.isZero(buffer, 0, length, Optional.empty())).isTrue();
            for (long at : new long[] {0, 1, 4095, 4096, (4 << 20) - 1, 4 << 20, length - 1}) {
                buffer.set(ValueLayout.JAVA_BYTE, at, (byte) 0x80);
                assertThat(Zeros.isZero(buffer, 0, length, Optional.of(kernels))).as("byte %d", at).isFalse();
                assertThat(Zeros.isZero(buffer, 0, length, Optional.empty())).as("byte %d", at).isFalse();
                assertThat(Zeros.isZero(buffer, at + 1, length - at - 1, Optional.of(kernels))).as("after byte %d", at).isTrue();
                buffer.set(ValueLayout.JAVA_BYTE, at, (byte) 0);
            }
        }
    }

    @Test
    @DisplayName("a content digest is the same natively, in Java, and as the earlier releases computed it")
    void digestIsStable() {
        SplittableRandom random = new SplittableRandom(11);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cell = arena.allocate(Cells.CELL, 4096);
            ContentDigest nativeDigest = new ContentDigest(Optional.of(kernels));
            ContentDigest javaDigest = new ContentDigest(Optional.empty());
            // The formula of the releases before the native path, written out with hash4j's stream.
            HashStream128 earlier = Hashing.xxh3_128().hashStream();
            for (long index : new long[] {0, 3, 4, 1000}) {
                for (long i = 0; i < Cells.CELL; i += 8) {
                    cell.set(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
                }
                long length = index == 1000 ? 12345 : Cells.CELL;
                nativeDigest.addCell(index, cell, length);
                javaDigest.addCell(index, cell, length);
                HashValue128 h = Hashing.xxh3_128().hashBytesTo128Bits(cell.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE));
                earlier.putLong(index).putLong(h.getMostSignificantBits()).putLong(h.getLeastSignificantBits());
            }
            long size = 1000L * Cells.CELL + 12345;
            HashValue128 v = earlier.putLong(size).get();
            String expected = ContentDigest.SCHEME + String.format("%016x%016x", v.getMostSignificantBits(), v.getLeastSignificantBits());
            assertThat(nativeDigest.finish(size)).isEqualTo(expected);
            assertThat(javaDigest.finish(size)).isEqualTo(expected);
        }
    }
}
