package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A pool's configuration: its name, driver and driver parameters, all strings as in
 * {@code qubes.xml}. The host validates it against the driver's {@link DriverParameter}s before
 * {@link PoolDriver#create(PoolConfig, DriverContext)}: unknown parameters are rejected and required
 * ones are present, so a driver only converts values.
 *
 * @param name       the pool name
 * @param driver     the driver name
 * @param parameters the driver parameters (not {@code name} or {@code driver}), in file order
 */
public record PoolConfig(String name, String driver, Map<String, String> parameters) {
    public PoolConfig {
        Names.requirePoolName(name);
        requireNonNull(driver, "driver");
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(parameters, "parameters")));
    }

    public Optional<String> get(String parameter) {
        return Optional.ofNullable(parameters.get(parameter));
    }

    /** A parameter the driver declared required (so validation guarantees it). */
    public String require(String parameter) {
        return get(parameter).orElseThrow(() -> StorageException.invalidConfiguration(
                "Pool " + name + " (driver " + driver + "): missing required parameter " + parameter));
    }

    public int getInt(String parameter, int defaultValue) {
        return get(parameter).map(v -> parseInt(parameter, v)).orElse(defaultValue);
    }

    /** A boolean as upstream writes and parses it: True/False (also true/false, 1/0, yes/no, on/off). */
    public boolean getBoolean(String parameter, boolean defaultValue) {
        return get(parameter).map(v -> parseBoolean(parameter, v)).orElse(defaultValue);
    }

    private int parseInt(String parameter, String value) {
        try {
            return PythonInt.parseInt(value);
        } catch (NumberFormatException e) {
            throw StorageException.invalidConfiguration("Pool " + name + ": parameter " + parameter
                    + " must be a whole number, not '" + value + "'");
        }
    }

    private boolean parseBoolean(String parameter, String value) {
        return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off", "" -> false;
            default -> throw StorageException.invalidConfiguration("Pool " + name + ": parameter " + parameter
                    + " must be True or False, not '" + value + "'");
        };
    }
}
