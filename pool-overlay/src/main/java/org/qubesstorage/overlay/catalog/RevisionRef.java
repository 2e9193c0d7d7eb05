package org.qubesstorage.overlay.catalog;

import static java.util.Objects.requireNonNull;


/** One committed revision of one volume of the pool: what a layer sits on. */
public record RevisionRef(String vid, int revision) {
    public RevisionRef {
        requireNonNull(vid, "vid");
        if (revision < 1) {
            throw new IllegalArgumentException("revisions are numbered from 1, not " + revision);
        }
    }

    @Override
    public String toString() {
        return vid + "@" + revision;
    }
}
