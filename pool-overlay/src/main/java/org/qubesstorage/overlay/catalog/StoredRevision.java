package org.qubesstorage.overlay.catalog;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * A committed revision as it is on disk: a base (a whole sparse image, {@code r<N>.img}) or a
 * layer ({@code r<N>.cow}, the changes over {@code parent}, named in {@code r<N>.parent}).
 *
 * @param data      the image or the layer's store
 * @param parent    what a layer sits on; empty for a base
 * @param committed when it was committed (the mtime of its last-written file)
 */
public record StoredRevision(int number, Path data, Optional<RevisionRef> parent, Instant committed) {
    public boolean isLayer() {
        return parent.isPresent();
    }
}
