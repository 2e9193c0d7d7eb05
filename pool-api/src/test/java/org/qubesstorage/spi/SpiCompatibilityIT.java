package org.qubesstorage.spi;

import static org.assertj.core.api.Assertions.assertThat;

import japicmp.cmp.JApiCmpArchive;
import japicmp.cmp.JarArchiveComparator;
import japicmp.cmp.JarArchiveComparatorOptions;
import japicmp.model.JApiChangeStatus;
import japicmp.model.JApiClass;
import japicmp.model.JApiCompatibilityChange;
import japicmp.model.JApiMethod;
import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SPI as a published API: the built {@code pool-api} jar against the last released one
 * ({@code spi-baseline/}), with japicmp. A change a driver could notice must raise
 * {@link SpiVersion#CURRENT}; a binary-incompatible one must also raise {@link
 * SpiVersion#OLDEST_COMPATIBLE} past the release's {@code CURRENT} (so the host refuses plugins it
 * would break) and be marked breaking in {@code SPI-CHANGELOG.md}.
 */
@DisplayName("The SPI against its last release")
class SpiCompatibilityIT {
    private static final Path BASELINE = Path.of("..", "spi-baseline", "pool-api-spi4.jar");

    private static Path built() throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("target"), "pool-api-*.jar")) {
            for (Path p : s) {
                if (!p.getFileName().toString().matches(".*-(sources|javadoc|tests)\\.jar")) {
                    return p;
                }
            }
        }
        throw new IllegalStateException("no built pool-api jar in target/ (the check runs after package)");
    }

    /** What japicmp finds binary-incompatible from {@code older} to {@code newer}, one line each; and whether anything changed. */
    private static List<String> incompatible(Path older, Path newer, List<String> changed) {
        JarArchiveComparatorOptions options = new JarArchiveComparatorOptions();
        // Guice's types appear in PoolDriver.module(): give japicmp the same class path on both sides.
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.contains("guice") || entry.contains("jakarta.inject") || entry.contains("aopalliance")) {
                options.getClassPathEntries().add(entry);
            }
        }
        List<JApiClass> classes = new JarArchiveComparator(options).compare(
                new JApiCmpArchive(older.toFile(), "0.1.0"), new JApiCmpArchive(newer.toFile(), "0.1.1"));
        List<String> out = new ArrayList<>();
        for (JApiClass c : classes) {
            if (c.getChangeStatus() != JApiChangeStatus.UNCHANGED) {
                changed.add(c.getFullyQualifiedName());
            }
            for (JApiCompatibilityChange ch : c.getCompatibilityChanges()) {
                if (!ch.isBinaryCompatible()) {
                    out.add(c.getFullyQualifiedName() + ": " + ch.getType());
                }
            }
            for (JApiMethod m : c.getMethods()) {
                for (JApiCompatibilityChange ch : m.getCompatibilityChanges()) {
                    if (!ch.isBinaryCompatible()) {
                        out.add(c.getFullyQualifiedName() + "." + m.getName() + ": " + ch.getType());
                    }
                }
            }
        }
        return out;
    }

    private static int releasedCurrent() throws Exception {
        try (URLClassLoader old = new URLClassLoader(new URL[] {BASELINE.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            return old.loadClass(SpiVersion.class.getName()).getField("CURRENT").getInt(null);
        }
    }

    @Test
    @DisplayName("changes since the release raise CURRENT; incompatible ones also OLDEST_COMPATIBLE and are marked breaking")
    void againstTheRelease() throws Exception {
        List<String> changed = new ArrayList<>();
        List<String> incompatible = incompatible(BASELINE, built(), changed);
        int released = releasedCurrent();
        if (!changed.isEmpty()) {
            assertThat(SpiVersion.CURRENT).as("SPI changed since version %d (%s): raise SpiVersion.CURRENT", released, changed)
                    .isGreaterThan(released);
        }
        if (!incompatible.isEmpty()) {
            assertThat(SpiVersion.OLDEST_COMPATIBLE).as("binary-incompatible changes %s: plugins built for SPI %d break;"
                    + " raise SpiVersion.OLDEST_COMPATIBLE past it", incompatible, released).isGreaterThan(released);
            String changelog = Files.readString(Path.of("..", "SPI-CHANGELOG.md"));
            Matcher m = Pattern.compile("^## SPI " + SpiVersion.CURRENT + " .*$", Pattern.MULTILINE).matcher(changelog);
            assertThat(m.find() && m.group().contains("breaking")).as("SPI-CHANGELOG.md's heading for SPI %d says breaking: %s",
                    SpiVersion.CURRENT, incompatible).isTrue();
        }
    }

    @Test
    @DisplayName("the check sees a break: this build without one of its classes is incompatible with it")
    void seesABreak(@TempDir Path dir) throws Exception {
        Path broken = dir.resolve("pool-api-broken.jar");
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(built()));
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(broken))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (!e.getName().equals("org/qubesstorage/spi/StoredData.class")) {
                    out.putNextEntry(new ZipEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        assertThat(incompatible(built(), broken, new ArrayList<>())).anyMatch(s -> s.contains("StoredData") && s.contains("CLASS_REMOVED"));
    }
}
