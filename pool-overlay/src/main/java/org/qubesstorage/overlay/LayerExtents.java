package org.qubesstorage.overlay;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.qubesstorage.overlay.cow.CowStore;
import org.qubesstorage.spi.StoredData;

/** A layer's data as {@link StoredData}: the chunks of its store that its committed exceptions name. */
final class LayerExtents {
    private LayerExtents() {}

    static StoredData of(Path store) {
        try (CowStore cow = CowStore.open(store, false)) {
            long chunk = cow.geometry().chunkBytes();
            long[] held = cow.heldChunks();
            long[] at = new long[held.length];
            for (int i = 0; i < held.length; i++) {
                at[i] = cow.storeChunk(held[i]);
            }
            Arrays.sort(at);
            List<StoredData.Extent> out = new ArrayList<>();
            int i = 0;
            while (i < at.length) {
                int j = i + 1;
                while (j < at.length && at[j] == at[j - 1] + 1) {
                    j++;
                }
                out.add(new StoredData.Extent(at[i] * chunk, (j - i) * chunk, StoredData.Extent.OWN));
                i = j;
            }
            return StoredData.of(store, out);
        }
    }
}
