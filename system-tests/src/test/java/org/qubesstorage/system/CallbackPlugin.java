package org.qubesstorage.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.host.PoolFactory;
import org.qubesstorage.spi.Pool;

/**
 * The {@code callback} plugin as a host loads it: from the plugin directory the build prepared,
 * with its configuration file named by the {@code qubes.callback.config} property.
 */
final class CallbackPlugin {
    private CallbackPlugin() {}

    /** The plugin directory the build prepared: the callback plugin's jar and its libraries. */
    static Path plugins() {
        return Path.of(System.getProperty("plugin.dir", "target/plugins")).toAbsolutePath();
    }

    /**
     * Loaded once per JVM, as a host loads its plugins once: a fresh class loader per pool would
     * load and compile the plugin's Jackson again for every kit test (minutes under the VM's TCG).
     */
    private static DriverRegistry registry;

    static synchronized DriverRegistry registry() {
        if (registry == null) {
            registry = DriverRegistry.load(CallbackPlugin.class.getClassLoader(), Optional.of(plugins()));
        }
        return registry;
    }

    /** Writes {@code json} as the callback configuration and makes pool {@code name} of {@code confId}, not set up. */
    static Pool pool(Path scratch, String json, String name, String confId) throws IOException {
        Path config = Files.writeString(scratch.resolve("qubes_callback.json"), json);
        System.setProperty("qubes.callback.config", config.toString());
        DriverRegistry registry = registry();
        PoolFactory factory = new PoolFactory(registry,
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), scratch.resolve("run")), Optional.empty());
        return factory.create(Map.of("name", name, "driver", "callback", "conf_id", confId));
    }

    /**
     * A script that appends one line per call to {@code log}: its arguments, the generic command's
     * configuration JSON (its fifth) left out so that lines stay readable.
     */
    static Path loggingScript(Path dir, Path log) throws IOException {
        Path script = dir.resolve("log-callback");
        Files.writeString(script, """
                #!/bin/bash
                args=("$@")
                [ $# -ge 5 ] && args=("${@:1:4}" "${@:6}")
                printf '%%s\\n' "${args[*]}" >> '%s'
                """.formatted(log));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }
}
