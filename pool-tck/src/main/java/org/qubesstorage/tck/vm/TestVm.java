package org.qubesstorage.tck.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The project's test VM from a host-side integration test: boots the harness this jar carries
 * ({@code run-in-vm.sh}: Debian's kernel under qemu TCG, real device-mapper and lvm2; the VM sees the
 * host's file system read-only, the working directory and class path included wherever they are, and
 * the module's {@code target} read-write) and runs JUnit classes there in one JVM with the calling
 * test's class path. Used by every module whose tests need device-mapper, in this repository or in a
 * plugin author's own.
 */
public final class TestVm {

    /** A volume group {@code qtest} on {@code /dev/vda} with thin pools {@code tpool} (2 GiB) and {@code small} (64 MiB). */
    public static final String MAKE_VG = "pvcreate -q /dev/vda\nvgcreate -q qtest /dev/vda\n"
            + "lvcreate -q --type thin-pool -L 2G -n tpool qtest\n"
            + "lvcreate -q --type thin-pool -L 64M -n small qtest\n";

    private TestVm() {}

    /** Skips the calling test, giving the reason and the install command, where the VM cannot boot. */
    public static void assumeAvailable() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")),
                "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86; .ci/run does)");
        try (var s = Files.newDirectoryStream(Path.of("/boot"), "vmlinuz-*")) {
            assumeTrue(s.iterator().hasNext(), "no kernel image in /boot (apt-get install linux-image-amd64; .ci/run does)");
        } catch (IOException e) {
            assumeTrue(false, "cannot read /boot: " + e.getMessage());
        }
        assumeTrue(Files.isExecutable(Path.of("/sbin/lvm")) || Files.isExecutable(Path.of("/usr/sbin/lvm")),
                "lvm2 is not installed (.ci/run installs it)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static is not installed (.ci/run installs it)");
    }

    /**
     * Runs {@code classes} with JUnit's console launcher in the VM after {@code setup} (bash, run as
     * root), asserts that the VM run succeeded and returns the launcher's output.
     */
    public static String runClasses(String setup, List<String> classes, String disks) throws Exception {
        return runClasses(setup, classes, disks, 900);
    }

    /** {@link #runClasses(String, List, String)} with a time limit for the VM, in seconds. */
    public static String runClasses(String setup, List<String> classes, String disks, int timeoutSeconds) throws Exception {
        return runClasses(Path.of("").toAbsolutePath(), System.getProperty("java.class.path"), setup, classes, disks, timeoutSeconds);
    }

    /** {@link #runClasses(String, List, String, int)} from another working directory and class path. */
    static String runClasses(Path workDir, String classPath, String setup, List<String> classes, String disks,
                             int timeoutSeconds) throws Exception {
        Path target = Files.createDirectories(workDir.resolve("target"));
        Path reports = Files.createDirectories(target.resolve("vm-reports"));
        StringBuilder cmd = new StringBuilder("set -e\n").append(setup).append('\n');
        cmd.append(javaCommand(classPath))
                .append(" org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=tree")
                .append(" --reports-dir '").append(reports).append("'");
        for (String c : classes) {
            cmd.append(" --select-class ").append(c);
        }
        Path harness = VmHarness.extract(target.resolve("vm-harness"));
        ProcessBuilder pb = new ProcessBuilder(harness.toString(), cmd.toString(), disks).directory(workDir.toFile())
                .redirectErrorStream(true);
        // Class path entries outside the working directory (a local Maven repository under /tmp, say).
        pb.environment().put("VM_SHARE", String.join(":", directoriesOf(classPath)));
        pb.environment().put("VM_RW_DIR", target.toString());
        pb.environment().put("VM_CACHE", target.resolve("vm-cache").toString());
        pb.environment().put("VM_TIMEOUT", Integer.toString(timeoutSeconds));
        // Two vCPUs: qemu's multi-threaded TCG runs them on both host cores (JIT, lvm and copies overlap).
        pb.environment().putIfAbsent("VM_SMP", "2");
        Process p = pb.start();
        StringBuilder collected = new StringBuilder();
        try (BufferedReader lines = p.inputReader()) {
            // Shown as the VM writes it, so a long run in the build log is not silent.
            for (String line; (line = lines.readLine()) != null; ) {
                System.out.println(line);
                collected.append(line).append('\n');
            }
        }
        String out = collected.toString();
        if (!p.waitFor(timeoutSeconds + 120L, TimeUnit.SECONDS)) {
            p.destroy();
            throw new AssertionError("the VM run did not finish in " + timeoutSeconds + " s:\n" + out);
        }
        // The failures come first in the message: CI keeps only the start of a long message, and the
        // console launcher prints its failure summary last, after every test's own output.
        String described = "VM run; failures first, then the whole output:\n" + failureSummary(out) + "\n---\n" + out;
        assertThat(p.exitValue()).as("exit code of the " + described).isZero();
        assertThat(out).as(described).contains("tests successful").containsPattern("\\[\\s+0 tests failed\\s+\\]");
        assertThat(out).doesNotContainPattern("\\[\\s+0 tests successful\\s+\\]");
        return out;
    }

    /**
     * This JVM's {@code java} with the options a short run in the VM wants (C1 only, the serial GC)
     * and {@code classPath}, as a shell command's start: the main class and its arguments follow.
     * Commands start with vfork: the default posix_spawn execs {@code jspawnhelper} before each
     * command, and an exec is what emulated CPUs pay most for.
     */
    public static String javaCommand(String classPath) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return java + " --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
                + " -Djdk.lang.Process.launchMechanism=VFORK"
                + " -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp '" + classPath + "'";
    }

    /**
     * The class path's directories and the directories holding its jars, each once: what the
     * harness must show the VM ({@code VM_SHARE}) for a JVM there to run with that class path.
     */
    public static List<String> directoriesOf(String classPath) {
        Set<String> dirs = new LinkedHashSet<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path p = Path.of(entry).toAbsolutePath().normalize();
            Path dir = entry.endsWith(".jar") || entry.endsWith(".zip") ? p.getParent() : p;
            if (dir != null) {
                dirs.add(dir.toString());
            }
        }
        return List.copyOf(dirs);
    }

    /**
     * The console launcher's "Failures (n):" section and the run-in-vm.sh lines after it, or the last
     * 40 lines of {@code out} where there is no such section (the VM itself failed or timed out).
     */
    static String failureSummary(String out) {
        int failures = out.lastIndexOf("Failures (");
        if (failures >= 0) {
            return out.substring(failures);
        }
        List<String> lines = out.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
