package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * One kept revision of an origin volume.
 *
 * @param id      the driver's revision id, as {@link Volume#revert(String)} accepts it
 * @param created when the state it holds was committed
 * @param pinned  whether a layer sits on it ({@link Capability#LAYERS}), which keeps it whatever
 *                {@code revisions_to_keep} says (SPI 3; false from drivers without layers)
 */
public record Revision(String id, Instant created, boolean pinned) {
    public Revision {
        requireNonNull(id, "id");
        requireNonNull(created, "created");
    }

    /** A revision nothing sits on (the SPI 2 constructor, kept for drivers built against it). */
    public Revision(String id, Instant created) {
        this(id, created, false);
    }
}
