package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.qubesstorage.xml.QubesXmlDocument;
import org.qubesstorage.xml.QubesXmlFile;
import org.qubesstorage.tck.sample.SampleInstallation;

/**
 * The {@code ./qvm-to-lvm} launcher as users run it: the class path the build writes for it (with
 * upgraded copies of pre-Java-6 jars), its AOT cache (recorded by the first run that does work,
 * used by the next), a real migration into a file-reflink pool and its rollback. The other tests
 * start the tool's JVM themselves and would not notice a broken launcher or class path.
 */
@DisplayName("the qvm-to-lvm launcher")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LauncherIT {
    private static final Path MODULE = Path.of(System.getProperty("user.dir"));
    private static final Path LAUNCHER = MODULE.getParent().resolve("qvm-to-lvm");
    private Path dir;
    private Path xml;

    @BeforeAll
    void install() throws IOException {
        dir = Files.createTempDirectory("qvm-to-lvm-launcher-");
        xml = SampleInstallation.build(dir, 8);
        Path pool = Files.createDirectories(dir.resolve("target-pool"));
        QubesXmlFile file = QubesXmlFile.load(xml);
        QubesXmlDocument doc = file.document().withPool(Map.of("name", "target", "driver", "file-reflink", "dir_path", pool.toString()));
        file.save(doc, java.util.Optional.empty());
    }

    @AfterAll
    void remove() throws IOException {
        SampleInstallation.deleteTree(dir);
    }

    @Test
    @DisplayName("migrates, rolls back and migrates again (with its AOT cache), and plans as JSON")
    void migratesThroughTheLauncher() throws Exception {
        Result version = launch("--version");
        assertThat(version.code).as(version.err).isZero();
        assertThat(version.out + version.err).contains("qvm-to-lvm");

        Result first = launch("--qubes-xml", xml.toString(), "--pool", "target", "--all", "--yes");
        assertThat(first.code).as(first.err).isZero();
        assertThat(first.out + first.err).contains("migrated");
        Result back = launch("--qubes-xml", xml.toString(), "--rollback", "--yes");
        assertThat(back.code).as(back.err).isZero();

        Result plan = launch("--qubes-xml", xml.toString(), "--pool", "target", "--all", "--dry-run", "--json");
        assertThat(plan.code).as(plan.err).isZero();
        JsonNode doc = org.qubesstorage.migrate.json.Wire.tree(plan.out);
        assertThat(doc.path("plan").path("targetPool").asText()).isEqualTo("target");

        Result second = launch("--qubes-xml", xml.toString(), "--pool", "target", "--all", "--yes");
        assertThat(second.code).as(second.err).isZero();
        assertThat(second.out + second.err).contains("migrated");
        try (var caches = Files.list(MODULE.resolve("target"))) {
            assertThat(caches.map(p -> p.getFileName().toString())).anyMatch(n -> n.matches("qvm-to-lvm-(c1|tiered)\\.aot"));
        }
    }

    @Test
    @DisplayName("an unusable AOT cache costs speed, not output: the JVM's complaint goes to stderr, stdout stays JSON")
    void unusableCacheKeepsStdoutClean() throws Exception {
        Path target = MODULE.resolve("target");
        String cp = target.resolve("migrate-tool-0.1.0-SNAPSHOT.jar") + ":" + Files.readString(target.resolve("classpath.txt")).strip();
        List<Path> planted = new ArrayList<>();
        try {
            for (String jit : List.of("c1", "tiered")) {
                // newer than every jar and recorded for this class path: the launcher passes it to the JVM
                planted.add(Files.writeString(target.resolve("qvm-to-lvm-" + jit + ".aot"), "not an AOT cache"));
                planted.add(Files.writeString(target.resolve("qvm-to-lvm-" + jit + ".aot.classpath"), cp + "\n" + cpuFlags()));
            }
            Result plan = launch("--qubes-xml", xml.toString(), "--pool", "target", "--all", "--dry-run", "--json");
            assertThat(plan.code).as(plan.err).isZero();
            assertThat(plan.err).contains("[aot]");
            assertThat(org.qubesstorage.migrate.json.Wire.tree(plan.out).path("plan").path("targetPool").asText()).isEqualTo("target");
        } finally {
            for (Path p : planted) {
                Files.deleteIfExists(p); // the next run that does work records a real one
            }
        }
    }

    private record Result(int code, String out, String err) {}

    @Test
    @DisplayName("an AOT cache recorded on another CPU is built again, not run (its machine code is for that CPU)")
    void cacheFromAnotherCpuIsRebuilt() throws Exception {
        Path target = MODULE.resolve("target");
        String cp = target.resolve("migrate-tool-0.1.0-SNAPSHOT.jar") + ":" + Files.readString(target.resolve("classpath.txt")).strip();
        List<Path> planted = new ArrayList<>();
        try {
            for (String jit : List.of("c1", "tiered")) {
                // newer than every jar and for this class path, but recorded for other CPU flags
                planted.add(Files.writeString(target.resolve("qvm-to-lvm-" + jit + ".aot"), "not an AOT cache"));
                planted.add(Files.writeString(target.resolve("qvm-to-lvm-" + jit + ".aot.classpath"), cp + "\nfpu sse sse2 (another CPU)"));
            }
            Result plan = launch("--qubes-xml", xml.toString(), "--pool", "target", "--all", "--dry-run", "--json");
            assertThat(plan.code).as(plan.err).isZero();
            assertThat(plan.err).as("the planted file was not given to the JVM").doesNotContain("[aot]");
            assertThat(org.qubesstorage.migrate.json.Wire.tree(plan.out).path("plan").path("targetPool").asText()).isEqualTo("target");
            boolean rebuilt = false;
            for (String jit : List.of("c1", "tiered")) {
                Path cache = target.resolve("qvm-to-lvm-" + jit + ".aot");
                if (Files.size(cache) > 1 << 20) {
                    rebuilt = true;
                    assertThat(Files.readAllLines(target.resolve("qvm-to-lvm-" + jit + ".aot.classpath"))).containsExactly(cp, cpuFlags());
                }
            }
            assertThat(rebuilt).as("a real cache was recorded for this CPU").isTrue();
        } finally {
            for (Path p : planted) {
                Files.deleteIfExists(p); // the next run that does work records a real one
            }
        }
    }

    /** The CPU feature flags as the launcher records them: the first flags line of /proc/cpuinfo, after its colon. */
    private static String cpuFlags() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if ((line.startsWith("flags") || line.startsWith("Features")) && line.contains(":")) {
                String v = line.substring(line.indexOf(':') + 1);
                return v.startsWith(" ") ? v.substring(1) : v;
            }
        }
        return "";
    }

    private Result launch(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the launcher did not finish: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
