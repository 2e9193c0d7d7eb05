package org.qubesstorage.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DisplayName;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.host.PoolFactory;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.tck.PoolConformanceKit;

/**
 * The SPI's version window in practice: the fixture plugin's sources compiled here against the last
 * released SPI ({@code spi-baseline/pool-api-spi4.jar}, which lacks everything added since), loaded
 * into this host from a plugin directory and put through the whole kit, whose newer checks find the
 * SPI's defaults ({@code NOT_SUPPORTED}) where the old plugin has nothing.
 */
@DisplayName("The conformance kit on a plugin compiled against the previous SPI")
class OldSpiPluginKitIT extends PoolConformanceKit {
    private static Path plugins;

    private static synchronized Path plugins() throws IOException {
        if (plugins != null) {
            return plugins;
        }
        Path root = Files.createTempDirectory(Files.createDirectories(Path.of("target").toAbsolutePath()), "old-spi-plugin");
        Path classes = Files.createDirectories(root.resolve("classes"));
        Path fixture = Path.of("..", "fixture-plugin", "src", "main");
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-classpath", String.join(File.pathSeparator,
                Path.of("..", "spi-baseline", "pool-api-spi4.jar").toString(), PluginJars.langJar().toString(), guiceClassPath())));
        try (Stream<Path> s = Files.walk(fixture.resolve("java"))) {
            s.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac.run(null, null, null, args.toArray(String[]::new))).as("javac against the SPI 4 jar").isZero();
        Path dir = Files.createDirectories(root.resolve("plugins").resolve("fixture-spi4"));
        try (OutputStream os = Files.newOutputStream(dir.resolve("fixture-spi4.jar")); JarOutputStream jar = new JarOutputStream(os)) {
            try (Stream<Path> s = Files.walk(classes)) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    jar.putNextEntry(new JarEntry(classes.relativize(p).toString().replace(File.separatorChar, '/')));
                    Files.copy(p, jar);
                    jar.closeEntry();
                }
            }
            jar.putNextEntry(new JarEntry("META-INF/services/org.qubesstorage.spi.PoolDriver"));
            Files.copy(fixture.resolve("resources/META-INF/services/org.qubesstorage.spi.PoolDriver"), jar);
            jar.closeEntry();
            jar.putNextEntry(new JarEntry("fixture.properties"));
            jar.write("name=fixture-spi4\nspi.min=4\nspi.max=4\n".getBytes(StandardCharsets.US_ASCII));
            jar.closeEntry();
        }
        PluginJars.copy(PluginJars.langJar(), dir.resolve(PluginJars.langJar().getFileName()));
        plugins = dir.getParent();
        return plugins;
    }

    private static String guiceClassPath() {
        return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> e.contains("guice") || e.contains("jakarta.inject")).reduce((a, b) -> a + File.pathSeparator + b).orElseThrow();
    }

    @Override
    protected Pool createPool(Path scratch) throws Exception {
        DriverRegistry registry = DriverRegistry.load(getClass().getClassLoader(), Optional.of(plugins()));
        assertThat(registry.problems()).as("the old plugin loads").isEmpty();
        PoolFactory factory = new PoolFactory(registry,
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), scratch.resolve("run")), Optional.empty());
        Pool pool = factory.create(Map.of("name", "old-spi-kit", "driver", "fixture-spi4", "dir_path", scratch.resolve("fx").toString()));
        pool.setup();
        return pool;
    }
}
