package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

/**
 * What a finished command did.
 *
 * @param command  the command that ran
 * @param exitCode its exit code
 * @param stdout   its standard output
 * @param stderr   its standard error
 */
public record CommandResult(Command command, int exitCode, String stdout, String stderr) {
    public CommandResult {
        requireNonNull(command, "command");
        requireNonNull(stdout, "stdout");
        requireNonNull(stderr, "stderr");
    }

    public boolean succeeded() {
        return exitCode == 0;
    }

    /** Returns this result if the command succeeded; otherwise a backend failure saying {@code what}. */
    public CommandResult requireSuccess(String what) {
        if (exitCode != 0) {
            throw StorageException.commandFailed(what, new CommandFailure(command.argv(), exitCode, stderr));
        }
        return this;
    }
}
