package org.qubesstorage.migrate;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the tool in this JVM or as its own process (which a test can kill at a checkpoint). */
record ToolRun(int exitCode, String stdout, String stderr) {

    static ToolRun inProcess(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = QvmToLvm.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new ToolRun(code, out.toString(), err.toString());
    }

    private static List<String> javaCommand(String checkpoint, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path")));
        if (checkpoint != null) {
            cmd.add(KillPointMain.class.getName());
            cmd.add(checkpoint);
        } else {
            cmd.add(QvmToLvm.class.getName());
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs the tool as a process to its end, with checkpoint tracing; returns the checkpoints passed. */
    static List<String> traced(String... args) throws IOException, InterruptedException {
        java.nio.file.Path out = java.nio.file.Files.createTempFile("qvm-to-lvm-traced", ".out");
        Process p = new ProcessBuilder(javaCommand("trace", args)).redirectOutput(out.toFile()).start();
        List<String> points = new ArrayList<>();
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                all.append(line).append('\n');
                if (line.startsWith("CHECKPOINT ")) {
                    points.add(line.substring(line.indexOf(' ', 11) + 1));
                }
            }
        }
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new AssertionError("traced run failed (" + p.exitValue() + "):\n" + java.nio.file.Files.readString(out) + all);
        }
        java.nio.file.Files.delete(out);
        return points;
    }

    /**
     * Runs the tool as a process that stops at checkpoint {@code n}, then kills it with SIGKILL.
     * Returns the name of the checkpoint it was killed at.
     */
    static String killedAt(int n, String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(javaCommand(Integer.toString(n), args)).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                all.append(line).append('\n');
                if (line.startsWith("CHECKPOINT ") && line.endsWith(" PAUSED")) {
                    p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
                    p.waitFor(1, TimeUnit.MINUTES);
                    return line.substring(line.indexOf(' ', 11) + 1, line.length() - " PAUSED".length());
                }
            }
        }
        p.waitFor(1, TimeUnit.MINUTES);
        throw new AssertionError("the run ended (" + p.exitValue() + ") before checkpoint " + n + ":\n" + all);
    }
}
