package org.qubesstorage.console;

import org.qubesstorage.spi.StorageException;

/**
 * The exit statuses every command line of this project shares, and how a driver's
 * {@link StorageException} maps onto them by its {@code ErrorType}: whose move it is to fix it.
 */
public final class ExitStatus {
    /** Done. */
    public static final int OK = 0;
    /** Bad usage or bad input, or an internal error (reported with a trace). */
    public static final int INPUT = 2;
    /** Refused or out of space: nothing was written. */
    public static final int REFUSED = 3;
    /** The system failed: a storage command, the disk or a driver. */
    public static final int BACKEND = 4;

    private ExitStatus() {}

    /** {@code USER} → {@link #INPUT}, {@code INSUFFICIENT_RESOURCES} → {@link #REFUSED}, {@code BACKEND} → {@link #BACKEND}. */
    public static int of(StorageException e) {
        return switch (e.code().type()) {
            case USER -> INPUT;
            case INSUFFICIENT_RESOURCES -> REFUSED;
            case BACKEND -> BACKEND;
        };
    }
}
