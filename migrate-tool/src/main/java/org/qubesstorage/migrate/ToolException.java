package org.qubesstorage.migrate;

/** A failure that ends the run with {@link #exitCode()}; the message names the domain, volume and cause. */
public final class ToolException extends RuntimeException {
    private final int exitCode;

    public ToolException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public ToolException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    static ToolException input(String message) {
        return new ToolException(ExitCodes.INPUT, message);
    }

    /** A driver's failure, {@code context} before its message, exiting as its error type says ({@link ExitCodes#of}). */
    static ToolException of(String context, org.qubesstorage.spi.StorageException e) {
        return new ToolException(ExitCodes.of(e), context + e.getMessage(), e);
    }
}
