package org.qubesstorage.dedup;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.qubesstorage.spi.StoredData;

/**
 * One file or device to scan and the volume it belongs to (a volume's image and its revisions are
 * several sources of one volume).
 *
 * @param path    a regular file or a block device the pool's driver named
 * @param volume  the vid reports group it under
 * @param extents where in {@code path} the data lies and where it is stored, as the driver said
 *                ({@code Volume.storedData()}); empty to map the regular file with FIEMAP
 */
public record DedupSource(Path path, String volume, Optional<List<StoredData.Extent>> extents) {
    public DedupSource {
        requireNonNull(path, "path");
        requireNonNull(volume, "volume");
        extents = extents.map(List::copyOf);
    }

    /** A regular file, mapped with FIEMAP. */
    public DedupSource(Path path, String volume) {
        this(path, volume, Optional.empty());
    }

    public static DedupSource of(StoredData data, String volume) {
        return new DedupSource(data.path(), volume, data.extents());
    }
}
