package org.qubesstorage.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** Makes plugin-directory variants from the built fixture plugin, by rewriting jar entries. */
final class PluginJars {
    private PluginJars() {}

    /** The plugin directory the build prepared: the fixture jar and its own commons-lang3. */
    static Path builtFixture() {
        return Path.of(System.getProperty("plugin.dir", "target/plugins")).resolve("fixture").toAbsolutePath();
    }

    static Path fixtureJar() throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(builtFixture(), "fixture-plugin*.jar")) {
            return s.iterator().next();
        }
    }

    static Path langJar() throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(builtFixture(), "commons-lang3*.jar")) {
            return s.iterator().next();
        }
    }

    /** Copies {@code jar} to {@code target}, replacing the named entries' contents. */
    static Path rewrite(Path jar, Path target, Map<String, String> replacements) throws IOException {
        Files.createDirectories(target.getParent());
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(target))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                out.putNextEntry(new ZipEntry(e.getName()));
                if (replacements.containsKey(e.getName())) {
                    out.write(replacements.get(e.getName()).getBytes(StandardCharsets.UTF_8));
                } else {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
        return target;
    }

    /** A jar holding only the given entries. */
    static Path jarOf(Path target, Map<String, String> entries) throws IOException {
        Files.createDirectories(target.getParent());
        try (OutputStream os = Files.newOutputStream(target); ZipOutputStream out = new ZipOutputStream(os)) {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                out.putNextEntry(new ZipEntry(e.getKey()));
                out.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return target;
    }

    static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        try (InputStream in = Files.newInputStream(from)) {
            Files.copy(in, to);
        }
    }
}
