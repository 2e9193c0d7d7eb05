package org.qubesstorage.it;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.host.PoolFactory;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.tck.PoolConformanceKit;

/**
 * The kit against a third-party plugin loaded as a host would load it: from its plugin directory,
 * through its Guice module. The fixture declares only volatile volumes, so this run exercises the
 * "not declared → NOT_SUPPORTED" direction of the kit.
 */
@DisplayName("The conformance kit on the fixture plugin")
class FixturePluginKitIT extends PoolConformanceKit {
    @Override
    protected Pool createPool(Path scratch) {
        DriverRegistry registry = DriverRegistry.load(getClass().getClassLoader(),
                Optional.of(PluginJars.builtFixture().getParent()));
        PoolFactory factory = new PoolFactory(registry,
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), scratch.resolve("run")), Optional.empty());
        Pool pool = factory.create(Map.of("name", "fixture-kit", "driver", "fixture", "dir_path", scratch.resolve("fx").toString()));
        pool.setup();
        return pool;
    }
}
