package org.qubesstorage.overlay.cow;

import java.nio.file.Path;

/** A file that is not a usable exception store: not one at all, another version, invalidated, or damaged. */
public final class CowFormatException extends RuntimeException {
    private final Path path;

    public CowFormatException(Path path, String reason) {
        super(path + ": " + reason);
        this.path = path;
    }

    /** The store file it is about. */
    public Path path() {
        return path;
    }
}
