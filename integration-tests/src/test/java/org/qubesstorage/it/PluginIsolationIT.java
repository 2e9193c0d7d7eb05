package org.qubesstorage.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.host.LoadProblem;
import org.qubesstorage.host.PoolFactory;
import org.qubesstorage.spi.Pool;

@DisplayName("Plugins from a plugin directory")
class PluginIsolationIT {
    @TempDir
    Path dir;

    private static final String PROPS = "fixture.properties";
    private static final String SERVICES = "META-INF/services/org.qubesstorage.spi.PoolDriver";

    private Path goodPlugin(Path plugins) throws Exception {
        Path p = plugins.resolve("fixture");
        PluginJars.copy(PluginJars.fixtureJar(), p.resolve("fixture-plugin.jar"));
        PluginJars.copy(PluginJars.langJar(), p.resolve("commons-lang3-3.9.jar"));
        return p;
    }

    @Test
    @DisplayName("the fixture is not on the class path: it is only found through the plugin directory")
    void notOnClassPath() {
        DriverRegistry classPathOnly = DriverRegistry.fromClassPath();
        assertThat(classPathOnly.drivers()).containsKey("file-reflink").doesNotContainKey("fixture");
    }

    @Test
    @DisplayName("a plugin uses its own libraries, sees only the SPI of the host, and contributes a Guice module")
    void isolation() throws Exception {
        Path plugins = dir.resolve("plugins");
        goodPlugin(plugins);
        DriverRegistry registry = DriverRegistry.load(getClass().getClassLoader(), Optional.of(plugins));
        assertThat(registry.problems()).isEmpty();
        assertThat(registry.drivers()).containsKeys("file-reflink", "fixture");
        assertThat(registry.drivers().get("fixture").origin()).endsWith("fixture");

        PoolFactory factory = new PoolFactory(registry,
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), dir.resolve("run")), Optional.empty());
        Pool pool = factory.create(Map.of("name", "fx", "driver", "fixture", "dir_path", dir.resolve("fx").toString()));
        assertThat(pool.getClass().getName()).isEqualTo("org.qubesstorage.fixture.FixturePool");
        assertThat(pool.getClass().getClassLoader()).isNotSameAs(getClass().getClassLoader());
        // The host has commons-lang3 3.17 on its class path; the plugin keeps its own 3.9.
        assertThat(org.apache.commons.lang3.StringUtils.class.getPackage().getImplementationVersion()).isEqualTo("3.17.0");
        assertThat(pool.getClass().getMethod("libraryVersion").invoke(pool)).isEqualTo("3.9");
        assertThat(pool.getClass().getMethod("canSee", String.class).invoke(pool, "org.qubesstorage.spi.Pool")).isEqualTo(true);
        assertThat(pool.getClass().getMethod("canSee", String.class).invoke(pool, "org.qubesstorage.host.DriverRegistry")).isEqualTo(false);
        assertThat(pool.getClass().getMethod("canSee", String.class).invoke(pool, "org.qubesstorage.file.reflink.ReflinkDriver")).isEqualTo(false);
        assertThat(registry.listing()).contains("fixture", "dir_path*", "token").contains("file-reflink");
    }

    @Test
    @DisplayName("bad plugins are reported one sentence each and skipped, and the host goes on")
    void badPlugins() throws Exception {
        Path plugins = dir.resolve("plugins");
        goodPlugin(plugins);
        // The same plugin a second time: a duplicate driver name.
        goodPlugin(dir.resolve("copy")).toFile();
        Files.move(dir.resolve("copy/fixture"), plugins.resolve("fixture-again"));
        // A plugin declaring an SPI range this host does not implement.
        PluginJars.rewrite(PluginJars.fixtureJar(), plugins.resolve("future-spi/fixture.jar"),
                Map.of(PROPS, "name=fixture-future\nspi.min=7\nspi.max=9\n"));
        PluginJars.copy(PluginJars.langJar(), plugins.resolve("future-spi/commons-lang3-3.9.jar"));
        // A plugin whose own dependency is missing: its driver fails in class initialisation.
        PluginJars.rewrite(PluginJars.fixtureJar(), plugins.resolve("no-deps/fixture.jar"),
                Map.of(PROPS, "name=fixture-nodeps\nspi.min=1\nspi.max=1\n"));
        // A service file naming a class that does not exist.
        PluginJars.jarOf(plugins.resolve("broken.jar"), Map.of(SERVICES, "org.example.DoesNotExist\n"));
        // A directory with no jar, and a jar with no driver.
        Files.createDirectories(plugins.resolve("empty"));
        PluginJars.jarOf(plugins.resolve("not-a-driver.jar"), Map.of("README", "nothing here"));

        DriverRegistry registry = DriverRegistry.load(getClass().getClassLoader(), Optional.of(plugins));

        assertThat(registry.drivers()).containsOnlyKeys("file", "file-reflink", "linux-kernel", "fixture");
        List<String> problems = registry.problems().stream().map(LoadProblem::toString).toList();
        assertThat(problems).hasSize(6);
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("fixture-again", "driver name fixture", "already provided"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("future-spi", "supports SPI version [7, 9]", "implements version " + org.qubesstorage.spi.SpiVersion.CURRENT));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("no-deps", "NoClassDefFoundError", "commons/lang3"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("broken.jar", "org.example.DoesNotExist"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("empty", "holds no jar"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("not-a-driver.jar", "no pool driver found"));
        assertThat(problems).allSatisfy(p -> assertThat(p).startsWith("Error loading storage plugin from "));
    }
}
