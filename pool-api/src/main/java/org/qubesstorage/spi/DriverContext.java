package org.qubesstorage.spi;

import java.nio.file.Path;
import java.time.Clock;

/**
 * What the host lends a driver: the narrow set of services a pool may use, so drivers never reach
 * into host internals.
 */
public interface DriverContext {

    /** Runs external commands (argument vectors, never a shell), with timeouts; injectable in tests. */
    CommandRunner commands();

    /** The clock for revision timestamps; fixed in tests. */
    Clock clock();

    /** A directory for run-time state that must not survive a reboot (upstream: /var/run/qubes). */
    Path runtimeDirectory();
}
