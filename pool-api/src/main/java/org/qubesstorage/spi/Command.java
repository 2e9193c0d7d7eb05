package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An external command to run.
 *
 * @param argv    the program and its arguments, each one argument (no shell)
 * @param env     extra environment variables (e.g. {@code LC_ALL=C})
 * @param timeout how long it may run before it is killed
 */
public record Command(List<String> argv, Map<String, String> env, Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    public Command {
        argv = List.copyOf(requireNonNull(argv, "argv"));
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        env = Map.copyOf(requireNonNull(env, "env"));
        requireNonNull(timeout, "timeout");
    }

    public static Command of(String... argv) {
        return new Command(List.of(argv), Map.of(), DEFAULT_TIMEOUT);
    }

    public Command withEnv(Map<String, String> newEnv) {
        return new Command(argv, newEnv, timeout);
    }

    public Command withTimeout(Duration newTimeout) {
        return new Command(argv, env, newTimeout);
    }
}
