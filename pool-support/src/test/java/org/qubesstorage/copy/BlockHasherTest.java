package org.qubesstorage.copy;

import static org.assertj.core.api.Assertions.assertThat;

import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hashing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("BlockHasher")
class BlockHasherTest {
    @Test
    @DisplayName("gives hash4j's XXH3-128 for every block, native or not, reusing its buffer")
    void sameAsHash4j() {
        byte[] data = new byte[64 * 4096];
        new Random(7).nextBytes(data);
        try (Arena arena = Arena.ofConfined(); BlockHasher hasher = new BlockHasher()) {
            MemorySegment buffer = arena.allocate(data.length);
            MemorySegment.copy(data, 0, buffer, ValueLayout.JAVA_BYTE, 0, data.length);
            long[] out = new long[2];
            for (int b = 0; b < 64; b++) {
                hasher.hash(buffer.asSlice(b * 4096L, 4096), 4096, out, 0);
                HashValue128 expected = Hashing.xxh3_128().hashBytesTo128Bits(data, b * 4096, 4096);
                assertThat(out).as("block " + b).containsExactly(expected.getMostSignificantBits(), expected.getLeastSignificantBits());
            }
        }
    }
}
