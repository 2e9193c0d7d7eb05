package org.qubesstorage.overlay.cow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The exception store (dm-snapshot's persistent format) in Java")
class CowStoreTest {
    private static final CowGeometry SMALL = new CowGeometry(8); // 4 KiB chunks, 256 exceptions per area
    private static final int CHUNK = SMALL.chunkBytes();

    @TempDir
    Path dir;

    @Test
    @DisplayName("geometry: areas at 1 + k(E+1), data chunks between them, capacity for every origin chunk")
    void geometry() {
        assertThat(SMALL.exceptionsPerArea()).isEqualTo(256);
        assertThat(SMALL.areaChunk(0)).isEqualTo(1);
        assertThat(SMALL.areaChunk(1)).isEqualTo(258);
        assertThat(SMALL.isMetadata(0)).isTrue();
        assertThat(SMALL.isMetadata(258)).isTrue();
        assertThat(SMALL.isMetadata(257)).isFalse();
        assertThat(CowGeometry.DEFAULT.chunkBytes()).isEqualTo(16384);
        assertThat(CowGeometry.DEFAULT.exceptionsPerArea()).isEqualTo(1024);
        // 600 origin chunks: 3 areas of data, plus the area zeroed when the third fills, plus the header
        assertThat(SMALL.capacityBytes(600L * CHUNK)).isEqualTo((1 + 4 * 257L) * CHUNK);
        assertThatThrownBy(() -> new CowGeometry(12)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CowGeometry(4)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("a new store has the kernel's header (\"SnAp\", valid, version 1, chunk size) and a zeroed first area")
    void header() throws Exception {
        Path p = dir.resolve("layer");
        try (CowStore s = CowStore.create(p, SMALL, 1 << 20)) {
            assertThat(s.exceptionCount()).isZero();
        }
        byte[] bytes = Files.readAllBytes(p);
        assertThat(new String(bytes, 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("SnAp");
        ByteBuffer h = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(h.getInt(4)).isEqualTo(1);
        assertThat(h.getInt(8)).isEqualTo(1);
        assertThat(h.getInt(12)).isEqualTo(8);
        for (int i = 16; i < 2 * CHUNK; i++) {
            assertThat(bytes[i]).as("byte %d", i).isZero();
        }
        assertThat(Files.size(p)).isEqualTo(SMALL.capacityBytes(1 << 20));
    }

    @Test
    @DisplayName("600 chunks fill two areas and part of a third, laid out as the kernel lays them out, and read back")
    void areasAndLayout() throws Exception {
        Path p = dir.resolve("layer");
        try (CowStore s = CowStore.create(p, SMALL, 1000L * CHUNK)) {
            for (long c = 0; c < 600; c++) {
                s.write(999 - c, CowFiles.chunk(CHUNK, 1, 999 - c));
            }
            s.commit();
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer area = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(area, SMALL.areaChunk(1) * CHUNK);
            // the second area's first entry: origin chunk 999 - 256, stored after the area itself (chunk 259)
            assertThat(area.getLong(0)).isEqualTo(999 - 256);
            assertThat(area.getLong(8)).isEqualTo(259);
            area.clear();
            ch.read(area, SMALL.areaChunk(2) * CHUNK);
            assertThat(area.getLong((600 - 512 - 1) * 16 + 8)).as("last entry").isEqualTo(SMALL.areaChunk(2) + 88);
            assertThat(area.getLong((600 - 512) * 16 + 8)).as("the end of the table").isZero();
        }
        try (CowStore s = CowStore.open(p, false)) {
            assertThat(s.exceptionCount()).isEqualTo(600);
            ByteBuffer b = ByteBuffer.allocate(CHUNK);
            for (long c = 400; c < 1000; c++) {
                b.clear();
                assertThat(s.read(c, b)).isTrue();
                assertThat(b.flip()).isEqualTo(CowFiles.chunk(CHUNK, 1, c));
            }
            assertThat(s.read(399, b.clear())).isFalse();
            assertThat(s.usedBytes()).isEqualTo((1 + 3 + 600L) * CHUNK);
        }
    }

    @Test
    @DisplayName("appending after reopening continues the table; a chunk written twice is rewritten in place")
    void reopenAndOverwrite() throws Exception {
        Path p = dir.resolve("layer");
        try (CowStore s = CowStore.create(p, SMALL, 1000L * CHUNK)) {
            for (long c = 0; c < 300; c++) {
                s.write(c, CowFiles.chunk(CHUNK, 1, c));
            }
            s.commit();
        }
        try (CowStore s = CowStore.open(p, true)) {
            s.write(5, CowFiles.chunk(CHUNK, 2, 5));
            s.write(700, CowFiles.chunk(CHUNK, 2, 700));
            s.commit();
            assertThat(s.exceptionCount()).isEqualTo(301);
        }
        try (CowStore s = CowStore.open(p, false)) {
            ByteBuffer b = ByteBuffer.allocate(CHUNK);
            s.read(5, b);
            assertThat(b.flip()).isEqualTo(CowFiles.chunk(CHUNK, 2, 5));
            s.read(700, b.clear());
            assertThat(b.flip()).isEqualTo(CowFiles.chunk(CHUNK, 2, 700));
            s.read(299, b.clear());
            assertThat(b.flip()).isEqualTo(CowFiles.chunk(CHUNK, 1, 299));
        }
    }

    @Test
    @DisplayName("writes after the last commit are not part of the layer (a crash before the area write loses only them)")
    void uncommittedWritesVanish() throws Exception {
        Path p = dir.resolve("layer");
        try (CowStore s = CowStore.create(p, SMALL, 1000L * CHUNK)) {
            s.write(1, CowFiles.chunk(CHUNK, 1, 1));
            s.commit();
            s.write(2, CowFiles.chunk(CHUNK, 1, 2));
        }
        try (CowStore s = CowStore.open(p, false)) {
            assertThat(s.holds(1)).isTrue();
            assertThat(s.holds(2)).isFalse();
        }
    }

    @Test
    @DisplayName("refused with the reason: not a store, another version, invalidated, a mapping into metadata, a chunk mapped twice")
    void damagedStores() throws Exception {
        Path p = dir.resolve("layer");
        try (CowStore s = CowStore.create(p, SMALL, 1000L * CHUNK)) {
            s.write(1, CowFiles.chunk(CHUNK, 1, 1));
            s.write(2, CowFiles.chunk(CHUNK, 1, 2));
            s.commit();
        }
        byte[] good = Files.readAllBytes(p);
        assertRefused(p, good, 0, 0x12345678L, 4, "not a dm-snapshot exception store");
        assertRefused(p, good, 8, 2, 4, "version 2");
        assertRefused(p, good, 4, 0, 4, "invalidated");
        assertRefused(p, good, CHUNK + 8, SMALL.areaChunk(1), 8, "not a data chunk");
        assertRefused(p, good, CHUNK + 16, 1, 8, "a second time");
    }

    private static void assertRefused(Path p, byte[] good, int offset, long value, int width, String reason) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(good.clone()).order(ByteOrder.LITTLE_ENDIAN);
        if (width == 4) {
            b.putInt(offset, (int) value);
        } else {
            b.putLong(offset, value);
        }
        Files.write(p, b.array());
        assertThatThrownBy(() -> CowStore.open(p, false)).isInstanceOf(CowFormatException.class).hasMessageContaining(reason);
    }
}
