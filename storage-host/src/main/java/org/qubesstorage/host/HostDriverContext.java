package org.qubesstorage.host;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Clock;
import org.qubesstorage.spi.CommandRunner;
import org.qubesstorage.spi.DriverContext;

/** The host's {@link DriverContext}: a value, so tests make their own with a fake runner or clock. */
public record HostDriverContext(CommandRunner commands, Clock clock, Path runtimeDirectory) implements DriverContext {
    public HostDriverContext {
        requireNonNull(commands, "commands");
        requireNonNull(clock, "clock");
        requireNonNull(runtimeDirectory, "runtimeDirectory");
    }

    /** Real commands, the system clock, and {@code /run/qubes} (upstream's volume state directory). */
    public static HostDriverContext system() {
        return new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), Path.of("/run/qubes"));
    }
}
