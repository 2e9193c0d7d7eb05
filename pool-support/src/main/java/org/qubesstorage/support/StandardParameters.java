package org.qubesstorage.support;

import org.qubesstorage.spi.DriverParameter;

/**
 * The {@code <pool>} parameters upstream's drivers share ({@code revisions_to_keep} and
 * {@code ephemeral_volatile} of {@code qubes.storage.Pool}), declared once so that every driver
 * names, defaults and describes them alike in listings.
 */
public final class StandardParameters {
    private StandardParameters() {}

    /** {@code revisions_to_keep}, default 1 (upstream's), as most pools describe it. */
    public static DriverParameter revisionsToKeep() {
        return revisionsToKeep("Revisions kept per volume by default (-1 disables snapshots)");
    }

    /** {@code revisions_to_keep}, default 1, for a pool whose limits its description states. */
    public static DriverParameter revisionsToKeep(String description) {
        return DriverParameter.optional("revisions_to_keep", "1", description);
    }

    /** {@code ephemeral_volatile}, default False: volatile volumes encrypted with a throw-away key. */
    public static DriverParameter ephemeralVolatile() {
        return DriverParameter.optional("ephemeral_volatile", "False", "Encrypt volatile volumes with a throw-away key");
    }
}
