package org.qubesstorage.host;

import static java.util.Objects.requireNonNull;

import org.qubesstorage.spi.PoolDriver;

/**
 * A driver the registry accepted.
 *
 * @param driver the driver
 * @param origin "class path" or the plugin's jar or directory
 */
public record LoadedDriver(PoolDriver driver, String origin) {
    public LoadedDriver {
        requireNonNull(driver, "driver");
        requireNonNull(origin, "origin");
    }
}
