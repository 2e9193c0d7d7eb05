package org.qubesstorage.dedup;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * One file to deduplicate and the volume it belongs to (a volume's image and its revisions are
 * several sources of one volume).
 *
 * @param path   a regular file the pool's driver named ({@code Volume.dedupFiles()})
 * @param volume the vid reports group it under
 */
public record DedupSource(Path path, String volume) {
    public DedupSource {
        requireNonNull(path, "path");
        requireNonNull(volume, "volume");
    }
}
