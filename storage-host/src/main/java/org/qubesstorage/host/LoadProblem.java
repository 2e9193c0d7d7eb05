package org.qubesstorage.host;

import static java.util.Objects.requireNonNull;

/**
 * A plugin or driver that was found but not loaded, and why, in one actionable sentence.
 *
 * @param origin  where it came from (a plugin jar or directory, or "class path")
 * @param message what was wrong
 */
public record LoadProblem(String origin, String message) {
    public LoadProblem {
        requireNonNull(origin, "origin");
        requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return "Error loading storage plugin from " + origin + ": " + message;
    }
}
