package org.qubesstorage.overlay.catalog;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import org.qubesstorage.overlay.dm.ChainStack;

/** One committed revision of one volume of the pool: what a layer sits on. */
public record RevisionRef(String vid, int revision) {
    public RevisionRef {
        requireNonNull(vid, "vid");
        if (revision < 1) {
            throw new IllegalArgumentException("revisions are numbered from 1, not " + revision);
        }
    }

    /**
     * A fixed 16-hex-digit id for this revision of the pool at {@code pool} (the first 64 bits of
     * the SHA-256 of the pool's directory and {@code vid@revision}): the name of its level when a
     * running chain stacks it, shared by every chain that sits on it. Device names are global, so
     * the pool is part of it: two pools may hold the same vid.
     */
    public String levelId(Path pool) {
        return ChainStack.id(pool.toAbsolutePath().normalize() + "\0" + vid + "@" + revision);
    }

    @Override
    public String toString() {
        return vid + "@" + revision;
    }
}
