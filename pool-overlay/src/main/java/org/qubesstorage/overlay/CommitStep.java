package org.qubesstorage.overlay;

/**
 * The durable steps of a stop's commit, in order. Each lands by a rename, a link or a removal, so a
 * process killed after any of them leaves a state the next start, stop or removal recovers from
 * (see {@link SessionCommit}).
 */
public enum CommitStep {
    /** The session store was renamed to the revision it is becoming ({@code r<N>.session}): the run is over. */
    SESSION_SET_ASIDE,
    /** The new revision's store is in place ({@code r<N>.cow}), not yet committed (no parent file). */
    STORE_IN_PLACE,
    /** The parent file landed: revision N is committed. */
    COMMITTED,
    /** The set-aside session was removed. */
    SESSION_REMOVED,
    /** The revisions beyond {@code revisions_to_keep} that nothing sits on were removed. */
    PRUNED
}
