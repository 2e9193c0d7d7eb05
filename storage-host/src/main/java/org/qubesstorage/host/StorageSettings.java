package org.qubesstorage.host;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the host finds its inputs.
 *
 * @param qubesXml        the {@code qubes.xml} to load pools and domains from
 * @param pluginDirectory a directory of plugin jars, if any
 * @param runtimeDirectory where per-volume running markers live (upstream: /run/qubes)
 */
public record StorageSettings(Path qubesXml, Optional<Path> pluginDirectory, Path runtimeDirectory) {
    public StorageSettings {
        requireNonNull(qubesXml, "qubesXml");
        requireNonNull(pluginDirectory, "pluginDirectory");
        requireNonNull(runtimeDirectory, "runtimeDirectory");
    }
}
