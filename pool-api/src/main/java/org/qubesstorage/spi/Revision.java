package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * One kept revision of an origin volume.
 *
 * @param id      the driver's revision id, as {@link Volume#revert(String)} accepts it
 * @param created when the state it holds was committed
 */
public record Revision(String id, Instant created) {
    public Revision {
        requireNonNull(id, "id");
        requireNonNull(created, "created");
    }
}
