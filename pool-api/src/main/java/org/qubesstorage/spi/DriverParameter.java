package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * One parameter a driver accepts in its {@code <pool>} element (what {@code qvm-pool drivers} lists).
 *
 * @param name         the attribute name
 * @param required     whether a pool cannot be made without it
 * @param description  one sentence for listings
 * @param sensitive    whether the value must be masked in logs and listings
 * @param defaultValue the value used when absent, if any
 */
public record DriverParameter(String name, boolean required, String description, boolean sensitive,
        Optional<String> defaultValue) {
    public DriverParameter {
        requireNonNull(name, "name");
        requireNonNull(description, "description");
        requireNonNull(defaultValue, "defaultValue");
    }

    public static DriverParameter required(String name, String description) {
        return new DriverParameter(name, true, description, false, Optional.empty());
    }

    public static DriverParameter optional(String name, String defaultValue, String description) {
        return new DriverParameter(name, false, description, false, Optional.of(defaultValue));
    }
}
