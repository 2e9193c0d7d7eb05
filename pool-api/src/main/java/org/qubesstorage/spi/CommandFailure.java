package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What a failed external command left behind, kept on a {@link ErrorCode#BACKEND_FAILURE}.
 *
 * @param command  the full argument vector that ran (never a shell string)
 * @param exitCode the process exit code, or -1 when it was killed by the timeout
 * @param stderr   what it printed on standard error, trimmed
 */
public record CommandFailure(List<String> command, int exitCode, String stderr) {
    public CommandFailure {
        command = List.copyOf(requireNonNull(command, "command"));
        stderr = requireNonNull(stderr, "stderr").strip();
    }

    /** The command line as a person would read it in a log. */
    public String commandLine() {
        return String.join(" ", command);
    }
}
