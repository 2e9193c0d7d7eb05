package org.qubesstorage.spi;

/**
 * Runs an external command. The host's implementation uses commons-exec, never a shell; tests inject
 * one that replays recorded outputs.
 *
 * <p>Implementations must not interpret arguments: each element of {@link Command#argv()} reaches
 * the program as one argument. Callers validate names and put positional names after {@code --}.
 */
@FunctionalInterface
public interface CommandRunner {

    /**
     * Runs {@code command} to completion (or until its timeout, when the child is killed) and returns
     * what it did. A non-zero exit code is not an exception here: callers decide, usually with
     * {@link CommandResult#requireSuccess(String)}.
     *
     * @throws StorageException {@link ErrorCode#BACKEND_FAILURE} if the program cannot be started
     *         or was killed by the timeout
     */
    CommandResult run(Command command);
}
