package org.qubesstorage.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.overlay.cow.CowFiles;
import org.qubesstorage.overlay.cow.CowGeometry;
import org.qubesstorage.overlay.cow.CowStore;
import org.qubesstorage.spi.StoredData;

@DisplayName("A layer's stored data")
class LayerExtentsTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("is the chunks its committed exceptions name: not the header, the metadata areas or uncommitted writes")
    void committedChunksOnly() throws Exception {
        CowGeometry g = new CowGeometry(8); // 4 KiB chunks: 256 exceptions per area, so 600 span three areas
        int chunk = g.chunkBytes();
        Path p = dir.resolve("layer");
        Set<ByteBuffer> written = new HashSet<>();
        try (CowStore s = CowStore.create(p, g, 5000L * chunk)) {
            for (long c = 0; c < 600; c++) {
                ByteBuffer data = CowFiles.chunk(chunk, 1, c * 7);
                written.add(data.duplicate());
                s.write(c * 7, data);
            }
            s.commit();
            s.write(4999, CowFiles.chunk(chunk, 2, 4999));
        }
        StoredData d = LayerExtents.of(p);
        assertThat(d.extents()).isPresent();
        assertThat(d.extents().get()).as("one run per area's data chunks").hasSize(3)
                .allMatch(e -> e.storage() == StoredData.Extent.OWN);
        Set<ByteBuffer> stored = new HashSet<>();
        try (FileChannel ch = FileChannel.open(p)) {
            for (StoredData.Extent e : d.extents().get()) {
                for (long at = e.offset(); at < e.offset() + e.length(); at += chunk) {
                    ByteBuffer b = ByteBuffer.allocate(chunk);
                    ch.read(b, at);
                    stored.add(b.flip());
                }
            }
        }
        assertThat(stored).isEqualTo(written);
        try (CowStore empty = CowStore.create(dir.resolve("empty"), g, 5000L * chunk)) {
            empty.commit();
        }
        assertThat(LayerExtents.of(dir.resolve("empty")).extents()).as("a layer with no changes holds nothing").contains(List.of());
    }
}
