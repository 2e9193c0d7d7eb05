package org.qubesstorage.spi;

/** The broad category of an {@link ErrorCode}: whose move it is to fix the failure. */
public enum ErrorType {
    /** The request was wrong or impossible in the current state; retrying it unchanged fails again. */
    USER,
    /** The backend failed; an administrator has to look at the cause. */
    BACKEND,
    /** Space (data or metadata) ran short; freeing space or growing the pool helps. */
    INSUFFICIENT_RESOURCES
}
