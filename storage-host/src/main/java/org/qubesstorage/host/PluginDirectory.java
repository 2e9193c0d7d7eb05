package org.qubesstorage.host;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A plugin directory: each {@code *.jar} in it is one plugin, and each sub-directory is one plugin
 * made of all the jars inside it (the driver and its own libraries). Every plugin gets its own
 * class loader whose parent is {@link SpiClassLoader}.
 */
final class PluginDirectory {
    /** One plugin: a name for messages and its class loader. */
    record Plugin(String origin, URLClassLoader loader) {}

    private PluginDirectory() {}

    static List<Plugin> scan(Path directory, ClassLoader host, List<LoadProblem> problems) {
        List<Plugin> plugins = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return plugins;
        }
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(directory)) {
            s.forEach(entries::add);
        } catch (IOException e) {
            problems.add(new LoadProblem(directory.toString(), "cannot list the plugin directory: " + e.getMessage()));
            return plugins;
        }
        entries.sort(null);
        SpiClassLoader parent = new SpiClassLoader(host);
        for (Path entry : entries) {
            if (entry.getFileName().toString().startsWith(".")) {
                continue;
            }
            try {
                List<URL> urls = new ArrayList<>();
                if (Files.isDirectory(entry)) {
                    List<Path> jars = new ArrayList<>();
                    try (DirectoryStream<Path> s = Files.newDirectoryStream(entry, "*.jar")) {
                        s.forEach(jars::add);
                    }
                    jars.sort(null);
                    for (Path jar : jars) {
                        urls.add(jar.toUri().toURL());
                    }
                    if (urls.isEmpty()) {
                        problems.add(new LoadProblem(entry.toString(), "the plugin directory holds no jar"));
                        continue;
                    }
                } else if (entry.getFileName().toString().endsWith(".jar")) {
                    urls.add(entry.toUri().toURL());
                } else {
                    continue;
                }
                plugins.add(new Plugin(entry.toString(),
                        new URLClassLoader("plugin:" + entry.getFileName(), urls.toArray(URL[]::new), parent)));
            } catch (IOException e) {
                problems.add(new LoadProblem(entry.toString(), "cannot read the plugin: " + e.getMessage()));
            }
        }
        return plugins;
    }

    static URL toUrl(Path p) throws MalformedURLException {
        return p.toUri().toURL();
    }
}
