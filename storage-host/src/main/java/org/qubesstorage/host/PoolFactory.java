package org.qubesstorage.host;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.qubesstorage.spi.CommandRunner;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.spi.DriverParameter;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.PoolDriver;
import org.qubesstorage.spi.StorageException;

/**
 * Makes a {@link Pool} from {@code <pool>} attributes: checks them against the driver's declared
 * parameters (unknown ones rejected listing the accepted ones, missing required ones named), then
 * asks the driver, inside a child injector when the driver contributes a Guice module.
 */
public final class PoolFactory {
    private final DriverRegistry registry;
    private final DriverContext context;
    private final Optional<Injector> parentInjector;

    public PoolFactory(DriverRegistry registry, DriverContext context, Optional<Injector> parentInjector) {
        this.registry = requireNonNull(registry, "registry");
        this.context = new LendingContext(requireNonNull(context, "context"), this);
        this.parentInjector = requireNonNull(parentInjector, "parentInjector");
    }

    /** What the pools this factory makes run commands with, and what a facade over them uses too. */
    public DriverContext context() {
        return context;
    }

    /** The host's context, lending drivers this factory to make the pools they wrap. */
    private record LendingContext(DriverContext base, PoolFactory factory) implements DriverContext {
        @Override
        public CommandRunner commands() {
            return base.commands();
        }

        @Override
        public Clock clock() {
            return base.clock();
        }

        @Override
        public Path runtimeDirectory() {
            return base.runtimeDirectory();
        }

        @Override
        public Pool createPool(PoolConfig config) {
            return factory.create(config);
        }
    }

    /** A pool from its {@code <pool>} element's attributes (including {@code name} and {@code driver}). */
    public Pool create(Map<String, String> attributes) {
        String name = attributes.get("name");
        if (name == null || name.isEmpty()) {
            throw StorageException.invalidConfiguration("No pool name for pool " + attributes);
        }
        String driverName = attributes.get("driver");
        if (driverName == null || driverName.isEmpty()) {
            throw StorageException.invalidConfiguration("No driver specified for pool " + name);
        }
        Map<String, String> params = new java.util.LinkedHashMap<>(attributes);
        params.remove("name");
        params.remove("driver");
        return create(new PoolConfig(name, driverName, params));
    }

    /** A pool of {@code config.driver()}, its parameters checked; also what a wrapping driver asks its context for. */
    public Pool create(PoolConfig config) {
        PoolDriver driver = registry.find(config.driver()).orElseThrow(() -> StorageException.invalidConfiguration(
                "No driver " + config.driver() + " for pool " + config.name() + " (available: "
                        + String.join(", ", registry.drivers().keySet()) + ")"));
        return instantiate(driver, validate(config, driver));
    }

    /** Checks {@code config} against {@code driver}'s parameters. */
    public static PoolConfig validate(PoolConfig config, PoolDriver driver) {
        Set<String> accepted = new TreeSet<>();
        List<String> missing = new ArrayList<>();
        for (DriverParameter p : driver.parameters()) {
            accepted.add(p.name());
            if (p.required() && !config.parameters().containsKey(p.name())) {
                missing.add(p.name());
            }
        }
        Set<String> unknown = new TreeSet<>(config.parameters().keySet());
        unknown.removeAll(accepted);
        if (!unknown.isEmpty()) {
            throw StorageException.invalidConfiguration("Pool " + config.name() + ": driver " + driver.name()
                    + " does not accept " + String.join(", ", unknown) + " (accepted: name, driver"
                    + (accepted.isEmpty() ? "" : ", " + String.join(", ", accepted)) + ")");
        }
        if (!missing.isEmpty()) {
            throw StorageException.invalidConfiguration("Pool " + config.name() + ": missing required driver options: "
                    + String.join(", ", missing));
        }
        return config;
    }

    private Pool instantiate(PoolDriver driver, PoolConfig config) {
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        // A plugin's driver resolves its own resources and service files through its own loader.
        current.setContextClassLoader(driver.getClass().getClassLoader());
        try {
            Optional<Module> module = driver.module();
            if (module.isEmpty()) {
                return requireNonNull(driver.create(config, context), "driver " + driver.name() + " returned no pool");
            }
            Module hostBindings = new AbstractModule() {
                @Override
                protected void configure() {
                    bind(PoolConfig.class).toInstance(config);
                    bind(DriverContext.class).toInstance(context);
                    bind(PoolDriver.class).toInstance(driver);
                }
            };
            Injector child = parentInjector.map(p -> p.createChildInjector(hostBindings, module.get()))
                    .orElseGet(() -> Guice.createInjector(hostBindings, module.get()));
            return child.getInstance(Pool.class);
        } catch (StorageException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            throw StorageException.invalidConfiguration("Driver " + driver.name() + " failed to make pool "
                    + config.name() + ": " + e);
        } finally {
            current.setContextClassLoader(previous);
        }
    }
}
