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

    /**
     * Makes a pool of another installed driver ({@code config.driver()}) for a driver that wraps
     * one, as upstream's {@code callback} driver wraps its {@code bdriver} (SPI 5). The parameters
     * are checked as the host checks a {@code <pool>} element's. The pool is neither set up nor
     * registered: the caller owns it and calls its {@link Pool#setup()} when its own runs. Throws
     * {@link ErrorCode#INVALID_CONFIGURATION} for an unknown driver or bad parameters, and
     * {@link ErrorCode#NOT_SUPPORTED} from a context that lends no drivers (one a test made).
     */
    default Pool createPool(PoolConfig config) {
        throw StorageException.notSupported(config.driver(), "being wrapped: this context lends no other drivers");
    }
}
