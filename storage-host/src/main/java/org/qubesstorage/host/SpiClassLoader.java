package org.qubesstorage.host;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The parent of every plugin's class loader: it lets through the JDK and the packages a plugin is
 * allowed to see from the host (the SPI, the Linux primitives, the copy engine, Guice and SLF4J),
 * and nothing else. So a plugin's own libraries never clash with the host's, and a plugin cannot
 * come to depend on host internals by accident.
 */
final class SpiClassLoader extends ClassLoader {
    /** Package prefixes delegated to the host. Everything here is API a plugin may compile against. */
    static final List<String> EXPORTED_PREFIXES = List.of(
            "org.qubesstorage.spi.",
            "org.qubesstorage.linux.",
            "org.qubesstorage.copy.",
            "org.qubesstorage.support.",
            "com.google.inject.",
            "jakarta.inject.",
            "org.slf4j.");

    private final ClassLoader host;

    SpiClassLoader(ClassLoader host) {
        super("qubes-storage-spi", ClassLoader.getPlatformClassLoader());
        this.host = host;
    }

    static boolean exported(String className) {
        for (String prefix : EXPORTED_PREFIXES) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (exported(name)) {
            return host.loadClass(name);
        }
        // The platform loader (our parent) answers for the JDK; anything else is the plugin's own.
        return super.loadClass(name, resolve);
    }

    @Override
    public URL getResource(String name) {
        // Service files and resources of the host stay invisible to plugins.
        return getParent().getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        Enumeration<URL> platform = getParent().getResources(name);
        return platform == null ? Collections.emptyEnumeration() : platform;
    }
}
