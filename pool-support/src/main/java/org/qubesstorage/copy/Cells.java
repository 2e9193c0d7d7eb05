package org.qubesstorage.copy;

import java.util.ArrayList;
import java.util.List;
import org.qubesstorage.linux.DataMap.Extent;

/**
 * The source cut into fixed, aligned cells of {@link #CELL} bytes, each with the data ranges that
 * fall into it. Cells are the unit of work (one read, a few writes) and of verification: a cell's
 * digest covers its whole logical content, so source and target digests agree however either is
 * laid out on disk.
 */
final class Cells {
    /** 4 MiB: large reads and writes, and enough cells for several workers on small images. */
    static final int CELL = 4 << 20;
    /** 64 KiB: zero detection granule, aligned for O_DIRECT and to dm-thin's default chunk. */
    static final int GRANULE = 64 << 10;

    /** One cell: its index and the data ranges (absolute offsets) inside it. */
    record Cell(long index, List<Extent> data) {
        long start() {
            return index * CELL;
        }
    }

    private Cells() {}

    static List<Cell> split(List<Extent> extents) {
        List<Cell> cells = new ArrayList<>();
        Cell current = null;
        for (Extent e : extents) {
            long pos = e.start();
            while (pos < e.end()) {
                long index = pos / CELL;
                long end = Math.min(e.end(), (index + 1) * CELL);
                if (current == null || current.index() != index) {
                    current = new Cell(index, new ArrayList<>());
                    cells.add(current);
                }
                current.data().add(new Extent(pos, end));
                pos = end;
            }
        }
        return cells;
    }
}
