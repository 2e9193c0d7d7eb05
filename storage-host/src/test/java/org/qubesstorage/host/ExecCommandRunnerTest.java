package org.qubesstorage.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandResult;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

@DisplayName("Running commands without a shell")
class ExecCommandRunnerTest {
    private final ExecCommandRunner runner = new ExecCommandRunner();

    @Test
    @DisplayName("each argument reaches the program as one argument, uninterpreted")
    void noShell() {
        CommandResult r = runner.run(Command.of("printf", "%s|", "a b", "$(id)", "'q'", "--", "-x"));
        assertThat(r.succeeded()).isTrue();
        assertThat(r.stdout()).isEqualTo("a b|$(id)|'q'|--|-x|");
    }

    @Test
    @DisplayName("a failure keeps command, exit code and stderr")
    void failure() {
        CommandResult r = runner.run(new Command(List.of("sh", "-c", "echo oops >&2; exit 5"), Map.of(), Duration.ofSeconds(10)));
        assertThatThrownBy(() -> r.requireSuccess("Doing it")).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_FAILURE);
            assertThat(e.commandFailure()).get().satisfies(f -> {
                assertThat(f.exitCode()).isEqualTo(5);
                assertThat(f.stderr()).isEqualTo("oops");
                assertThat(f.command()).containsExactly("sh", "-c", "echo oops >&2; exit 5");
            });
            assertThat(e.getMessage()).startsWith("Doing it: `sh -c").contains("exited with 5: oops");
        });
    }

    @Test
    @DisplayName("the environment is passed and a timeout kills the child")
    void envAndTimeout() {
        CommandResult r = runner.run(new Command(List.of("sh", "-c", "echo $LC_ALL"), Map.of("LC_ALL", "C"), Duration.ofSeconds(10)));
        assertThat(r.stdout().strip()).isEqualTo("C");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> runner.run(new Command(List.of("sleep", "30"), Map.of(), Duration.ofMillis(300))))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getMessage()).contains("Timed out"));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    @DisplayName("a program that does not exist is a backend failure, not a crash")
    void missingProgram() {
        assertThatThrownBy(() -> runner.run(Command.of("/nonexistent/prog")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_FAILURE));
    }
}
