package org.qubesstorage.spi;

/**
 * The fixed taxonomy of storage failures. Callers branch on the code, never on message text.
 *
 * <p>Each code belongs to an {@link ErrorType} so that a host can tell "the user asked for
 * something impossible" from "the backend broke" from "there is no room".
 */
public enum ErrorCode {
    /** A pool, volume, revision or file that the operation needs does not exist. */
    NOT_FOUND(ErrorType.USER),
    /** Something the operation would create is already there. */
    ALREADY_EXISTS(ErrorType.USER),
    /** The driver (or this pool's configuration) does not offer the operation. */
    NOT_SUPPORTED(ErrorType.USER),
    /** The pool has no room for the request; the message names the pool and the numbers. */
    INSUFFICIENT_SPACE(ErrorType.INSUFFICIENT_RESOURCES),
    /** An argument is malformed or out of range (a bad name, a negative size, ...). */
    INVALID_ARGUMENT(ErrorType.USER),
    /** A pool's or the host's configuration is wrong (unknown or missing parameter, bad value). */
    INVALID_CONFIGURATION(ErrorType.USER),
    /** The volume or pool is in use: running, exported, importing, or locked by someone else. */
    BUSY(ErrorType.USER),
    /** Other volumes sit on this one's revisions ({@link Capability#LAYERS}): remove or move them first (SPI 3). */
    IN_USE(ErrorType.USER),
    /** The volume was not cleanly stopped, so the operation would lose or confuse data. */
    DIRTY(ErrorType.USER),
    /** The backend (a command, a system call, the disk) failed. */
    BACKEND_FAILURE(ErrorType.BACKEND);

    private final ErrorType type;

    ErrorCode(ErrorType type) {
        this.type = type;
    }

    public ErrorType type() {
        return type;
    }
}
