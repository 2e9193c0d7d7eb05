package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

/**
 * What a layered volume sits on ({@link Volume#layer()}, {@link Capability#LAYERS}): an immutable
 * revision of another volume of the same pool. The volume holds only its own changes over it.
 *
 * @param parentVid      the volume it was cloned from
 * @param parentRevision the revision of that volume it sits on, as that volume's
 *                       {@link Volume#revisions()} lists it once it is no longer current
 * @param behind         whether the parent has committed since: this volume's view is older than
 *                       its parent's (a branch template whose root template was updated)
 */
public record Layer(String parentVid, String parentRevision, boolean behind) {
    public Layer {
        requireNonNull(parentVid, "parentVid");
        requireNonNull(parentRevision, "parentRevision");
    }
}
