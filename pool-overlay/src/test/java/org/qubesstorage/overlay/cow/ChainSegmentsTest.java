package org.qubesstorage.overlay.cow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.overlay.cow.ChainSegments.Segment;

@DisplayName("A chain's committed view as extents of the base and its layers")
class ChainSegmentsTest {
    private static final CowGeometry G = new CowGeometry(8);
    private static final int CHUNK = G.chunkBytes();
    private static final long CHUNKS = 64;

    @TempDir
    Path dir;

    private CowStore layer(String name, long... chunks) {
        CowStore s = CowStore.create(dir.resolve(name), G, CHUNKS * CHUNK);
        for (long c : chunks) {
            s.write(c, CowFiles.chunk(CHUNK, 1, c));
        }
        s.commit();
        return s;
    }

    @Test
    @DisplayName("no layers: the base, whole, in one extent")
    void baseOnly() {
        assertThat(ChainSegments.compose(CHUNKS, List.of())).containsExactly(new Segment(0, CHUNKS, ChainSegments.BASE, 0));
    }

    @Test
    @DisplayName("the topmost layer holding a chunk wins; runs that lie consecutively in one file are one extent")
    void topmostWins() {
        // Data chunks start after the header and the first area: store chunk 2 on.
        try (CowStore lower = layer("lower.cow", 4, 5, 6, 7); CowStore upper = layer("upper.cow", 6, 7, 8, 63)) {
            List<Segment> view = ChainSegments.compose(CHUNKS, List.of(lower, upper));
            assertThat(view).containsExactly(
                    new Segment(0, 4, ChainSegments.BASE, 0),
                    new Segment(4, 2, 0, 2),
                    new Segment(6, 3, 1, 2),
                    new Segment(9, 54, ChainSegments.BASE, 9),
                    new Segment(63, 1, 1, 5));
            assertThat(view.stream().mapToLong(Segment::chunks).sum()).as("every chunk once").isEqualTo(CHUNKS);
        }
    }

    @Test
    @DisplayName("chunks written out of order are separate extents where the store keeps them apart")
    void outOfOrder() {
        try (CowStore l = layer("l.cow", 11, 10)) {
            assertThat(ChainSegments.compose(CHUNKS, List.of(l))).containsExactly(
                    new Segment(0, 10, ChainSegments.BASE, 0),
                    new Segment(10, 1, 0, 3),
                    new Segment(11, 1, 0, 2),
                    new Segment(12, 52, ChainSegments.BASE, 12));
        }
    }

    @Test
    @DisplayName("a layer holding a chunk past the end of the volume is refused, naming the layer")
    void pastTheEnd() {
        try (CowStore l = layer("long.cow", 3)) {
            assertThatThrownBy(() -> ChainSegments.compose(3, List.of(l))).isInstanceOf(CowFormatException.class)
                    .hasMessageContaining("long.cow").hasMessageContaining("chunk 3");
        }
    }
}
