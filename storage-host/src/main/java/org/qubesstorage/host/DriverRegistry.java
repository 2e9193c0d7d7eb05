package org.qubesstorage.host;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.qubesstorage.spi.DriverParameter;
import org.qubesstorage.spi.Names;
import org.qubesstorage.spi.PoolDriver;
import org.qubesstorage.spi.SpiVersion;
import org.qubesstorage.spi.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every pool driver the host found: on the class path and in a plugin directory. A driver with an
 * unsupported SPI version, a name another driver already has, a bad name, or that fails to load is
 * skipped and reported in {@link #problems()} (and the log), one sentence each; it never stops the
 * host.
 */
public final class DriverRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(DriverRegistry.class);
    private static final int MAX_PROVIDERS_PER_SOURCE = 1000;

    private final Map<String, LoadedDriver> drivers;
    private final List<LoadProblem> problems;

    private DriverRegistry(Map<String, LoadedDriver> drivers, List<LoadProblem> problems) {
        this.drivers = Collections.unmodifiableMap(drivers);
        this.problems = List.copyOf(problems);
    }

    /** Drivers on {@code hostLoader}'s class path, then in {@code pluginDirectory} if given. */
    public static DriverRegistry load(ClassLoader hostLoader, Optional<Path> pluginDirectory) {
        requireNonNull(hostLoader, "hostLoader");
        requireNonNull(pluginDirectory, "pluginDirectory");
        Map<String, LoadedDriver> drivers = new TreeMap<>();
        List<LoadProblem> problems = new ArrayList<>();
        collect(ServiceLoader.load(PoolDriver.class, hostLoader), "class path", drivers, problems);
        pluginDirectory.ifPresent(dir -> {
            for (PluginDirectory.Plugin plugin : PluginDirectory.scan(dir, hostLoader, problems)) {
                int before = drivers.size();
                int problemsBefore = problems.size();
                collect(ServiceLoader.load(PoolDriver.class, plugin.loader()), plugin.origin(), drivers, problems);
                if (drivers.size() == before && problems.size() == problemsBefore) {
                    problems.add(new LoadProblem(plugin.origin(),
                            "no pool driver found (missing META-INF/services/" + PoolDriver.class.getName() + ")"));
                }
            }
        });
        problems.forEach(p -> LOG.warn("{}", p));
        return new DriverRegistry(drivers, problems);
    }

    /** Only the drivers on the class path of this library's loader (no plugin directory). */
    public static DriverRegistry fromClassPath() {
        return load(DriverRegistry.class.getClassLoader(), Optional.empty());
    }

    private static void collect(ServiceLoader<PoolDriver> loader, String origin, Map<String, LoadedDriver> drivers,
            List<LoadProblem> problems) {
        Iterator<PoolDriver> it = loader.iterator();
        for (int attempts = 0; attempts < MAX_PROVIDERS_PER_SOURCE; attempts++) {
            PoolDriver driver;
            try {
                if (!it.hasNext()) {
                    return;
                }
                driver = it.next();
            } catch (ServiceConfigurationError | LinkageError e) {
                problems.add(new LoadProblem(origin, "cannot instantiate a driver: " + describe(e)));
                continue;
            }
            String providerOrigin = origin;
            if (origin.equals("class path") && driver.getClass().getClassLoader() instanceof java.net.URLClassLoader u
                    && u.getName() != null && u.getName().startsWith("plugin:")) {
                continue; // a plugin's provider seen through a parent; it is collected with its plugin
            }
            accept(driver, providerOrigin, drivers, problems);
        }
    }

    private static void accept(PoolDriver driver, String origin, Map<String, LoadedDriver> drivers,
            List<LoadProblem> problems) {
        String className = driver.getClass().getName();
        try {
            String name = driver.name();
            Names.requireDriverName(name);
            SpiVersion spi = driver.spiVersion();
            if (!spi.supportsHost()) {
                problems.add(new LoadProblem(origin, "driver " + name + " (" + className + ") supports SPI version "
                        + spi + ", but this host implements version " + SpiVersion.CURRENT
                        + " (oldest compatible " + SpiVersion.OLDEST_COMPATIBLE + ")"));
                return;
            }
            List<DriverParameter> params = List.copyOf(driver.parameters());
            for (DriverParameter p : params) {
                if (p.name().equals("name") || p.name().equals("driver")) {
                    problems.add(new LoadProblem(origin, "driver " + name + " declares the reserved parameter " + p.name()));
                    return;
                }
            }
            LoadedDriver existing = drivers.get(name);
            if (existing != null) {
                problems.add(new LoadProblem(origin, "driver name " + name + " (" + className
                        + ") is already provided by " + existing.driver().getClass().getName() + " from " + existing.origin()));
                return;
            }
            drivers.put(name, new LoadedDriver(driver, origin));
        } catch (RuntimeException | LinkageError e) {
            problems.add(new LoadProblem(origin, "driver " + className + " failed while describing itself: " + describe(e)));
        }
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(e.getClass().getSimpleName() + ": " + e.getMessage());
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            sb.append(" (caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(')');
        }
        return sb.toString();
    }

    public Optional<PoolDriver> find(String name) {
        return Optional.ofNullable(drivers.get(name)).map(LoadedDriver::driver);
    }

    /** The driver called {@code name}, or NOT_FOUND naming the available ones. */
    public PoolDriver require(String name) {
        return find(name).orElseThrow(() -> StorageException.notFound("No pool driver " + name
                + " (available: " + String.join(", ", drivers.keySet()) + ")"));
    }

    public Map<String, LoadedDriver> drivers() {
        return drivers;
    }

    public List<LoadProblem> problems() {
        return problems;
    }

    /** A listing like {@code qvm-pool drivers}: driver name and its parameters (required ones marked *). */
    public String listing() {
        StringBuilder sb = new StringBuilder(String.format("%-16s %s%n", "DRIVER", "OPTIONS"));
        for (LoadedDriver d : drivers.values()) {
            List<String> opts = new ArrayList<>();
            for (DriverParameter p : d.driver().parameters()) {
                opts.add(p.name() + (p.required() ? "*" : ""));
            }
            sb.append(String.format("%-16s %s%n", d.driver().name(), String.join(", ", opts)));
        }
        return sb.toString();
    }
}
