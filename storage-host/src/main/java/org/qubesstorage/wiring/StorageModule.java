package org.qubesstorage.wiring;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Injector;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import java.time.Clock;
import java.util.Optional;
import org.qubesstorage.facade.RunningState;
import org.qubesstorage.facade.StorageHost;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.host.PoolRegistry;
import org.qubesstorage.host.StorageSettings;
import org.qubesstorage.spi.CommandRunner;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.xml.QubesXmlFile;

/**
 * Guice wiring for a host application: the driver registry (class path and plugin directory), the
 * pools configured in {@code qubes.xml}, and the per-domain storage facade. Drivers that contribute
 * their own module get a child injector per pool, so their bindings stay theirs.
 *
 * <p>Override {@link CommandRunner} or {@link Clock} with {@code Modules.override} in tests.
 */
public final class StorageModule extends AbstractModule {
    private final StorageSettings settings;

    public StorageModule(StorageSettings settings) {
        this.settings = requireNonNull(settings, "settings");
    }

    @Override
    protected void configure() {
        bind(StorageSettings.class).toInstance(settings);
        bind(CommandRunner.class).to(ExecCommandRunner.class);
        bind(Clock.class).toInstance(Clock.systemUTC());
    }

    @Provides
    @Singleton
    DriverRegistry driverRegistry(StorageSettings s) {
        return DriverRegistry.load(StorageModule.class.getClassLoader(), s.pluginDirectory());
    }

    @Provides
    @Singleton
    DriverContext driverContext(CommandRunner runner, Clock clock, StorageSettings s) {
        return new HostDriverContext(runner, clock, s.runtimeDirectory());
    }

    @Provides
    @Singleton
    QubesXmlFile qubesXml(StorageSettings s) {
        return QubesXmlFile.load(s.qubesXml());
    }

    @Provides
    @Singleton
    Bootstrap bootstrap(DriverRegistry drivers, DriverContext context, Injector injector, QubesXmlFile xml) {
        return Bootstrap.load(xml, drivers, context, Optional.of(injector), java.util.function.UnaryOperator.identity());
    }

    @Provides
    @Singleton
    PoolRegistry pools(Bootstrap bootstrap) {
        return bootstrap.pools();
    }

    @Provides
    @Singleton
    StorageHost storageHost(Bootstrap bootstrap, StorageSettings s) {
        return bootstrap.host(new RunningState(s.runtimeDirectory()));
    }
}
