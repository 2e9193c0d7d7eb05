package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The one exception of the storage SPI. Every failure a driver reports carries an {@link ErrorCode};
 * backend failures of external commands also carry the {@link CommandFailure}.
 *
 * <p>It is unchecked because every SPI method may throw it and callers usually let it travel to the
 * top of an operation (the facade, the CLI), where the code decides what the user is told.
 */
public final class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final transient CommandFailure commandFailure;

    public StorageException(ErrorCode code, String message) {
        this(code, message, null, null);
    }

    public StorageException(ErrorCode code, String message, Throwable cause) {
        this(code, message, null, cause);
    }

    public StorageException(ErrorCode code, String message, CommandFailure failure, Throwable cause) {
        super(requireNonNull(message, "message"), cause);
        this.code = requireNonNull(code, "code");
        this.commandFailure = failure;
    }

    /** A backend failure of an external command: the message ends with the command's own words. */
    public static StorageException commandFailed(String what, CommandFailure failure) {
        String stderr = failure.stderr().isEmpty() ? "(no error output)" : failure.stderr();
        return new StorageException(ErrorCode.BACKEND_FAILURE,
                what + ": `" + failure.commandLine() + "` exited with " + failure.exitCode() + ": " + stderr,
                failure, null);
    }

    /** The standard sentence for an operation a driver does not offer. */
    public static StorageException notSupported(String driver, String operation) {
        return new StorageException(ErrorCode.NOT_SUPPORTED,
                "Pool driver " + driver + " does not support " + operation);
    }

    public static StorageException notFound(String message) {
        return new StorageException(ErrorCode.NOT_FOUND, message);
    }

    public static StorageException invalidArgument(String message) {
        return new StorageException(ErrorCode.INVALID_ARGUMENT, message);
    }

    public static StorageException invalidConfiguration(String message) {
        return new StorageException(ErrorCode.INVALID_CONFIGURATION, message);
    }

    public static StorageException busy(String message) {
        return new StorageException(ErrorCode.BUSY, message);
    }

    public static StorageException dirty(String message) {
        return new StorageException(ErrorCode.DIRTY, message);
    }

    public static StorageException backend(String message, Throwable cause) {
        return new StorageException(ErrorCode.BACKEND_FAILURE, message, cause);
    }

    public ErrorCode code() {
        return code;
    }

    public Optional<CommandFailure> commandFailure() {
        return Optional.ofNullable(commandFailure);
    }
}
