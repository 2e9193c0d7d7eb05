package org.qubesstorage.demo;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.qubesstorage.copy.SparseCopier;
import org.qubesstorage.facade.DomainStorage;
import org.qubesstorage.facade.RunningState;
import org.qubesstorage.facade.StorageHost;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.xml.QubesXml;
import org.qubesstorage.xml.QubesXmlFile;
import org.qubesstorage.migrate.ExitCodes;
import org.qubesstorage.migrate.Installation;
import org.qubesstorage.migrate.QvmToLvm;
import org.qubesstorage.tck.sample.SampleInstallation;
import org.qubesstorage.tck.vm.TestVm;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code ./qvm-to-lvm demo}: builds a {@link SampleInstallation} and migrates it into a real thin
 * pool, showing the plan, the progress, the verification (every new volume's content digest against
 * its source's, and every domain's volumes started and stopped from the new qubes.xml) and the
 * qubes.xml diff. Where this host has no device-mapper or is not root, it runs itself inside the
 * project's test VM ({@code test-harness/vm/run-in-vm.sh}).
 */
public final class Demo implements Callable<Integer> {
    static final String VERSION = "qvm-to-lvm demo 0.1.0 (qubes-storage-java)";

    private final CommandLine commandLine;

    private Demo() {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name("qvm-to-lvm demo").version(VERSION);
        spec.usageMessage().sortOptions(false)
                .description("Builds a sample Qubes installation and migrates it into a real thin pool (in the test VM if needed).");
        spec.addOption(OptionSpec.builder("--direct").arity("0").type(boolean.class)
                .description("Run here (needs root and device-mapper); do not boot the VM.").build());
        spec.addOption(OptionSpec.builder("--device").paramLabel("DEV").type(Path.class)
                .description("Use this empty disk as the LVM physical volume instead of a loop file.").build());
        spec.addOption(OptionSpec.builder("--work").paramLabel("DIR").type(Path.class)
                .description("Scratch directory (default: a new temporary one, removed afterwards).").build());
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).description("Print version information and exit.").build());
        commandLine = new CommandLine(spec);
    }

    /** {@code ./qvm-to-lvm demo ARGS}: the launcher runs this class instead of the tool. */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8)));
    }

    /** Runs the demo (for tests: nothing exits the JVM). */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new Demo().commandLine;
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        CommandSpec spec = commandLine.getCommandSpec();
        boolean direct = Boolean.TRUE.equals(spec.findOption("--direct").getValue());
        Path device = spec.findOption("--device").getValue();
        Path work = spec.findOption("--work").getValue();
        PrintWriter out = commandLine.getOut();
        if (!direct && !DemoLvm.available()) {
            return inVm(out);
        }
        Path dir = work != null ? Files.createDirectories(work) : Files.createTempDirectory("qvm-to-lvm-demo-");
        try (DemoLvm lvm = DemoLvm.create(dir, Optional.ofNullable(device))) {
            return demo(out, dir, lvm);
        } finally {
            if (work == null) {
                SampleInstallation.deleteTree(dir);
            }
        }
    }

    private int demo(PrintWriter out, Path dir, DemoLvm lvm) throws IOException {
        out.println("== 1. A sample installation in " + dir + " (file pool, ext4 images with files)");
        Path xml = SampleInstallation.build(dir.resolve("qubes"));
        byte[] original = Files.readAllBytes(xml);
        out.println("   thin pool for the target: " + lvm.vg() + "/" + lvm.thinPool() + " on " + lvm.pv());
        out.flush();
        String[] target = {"--qubes-xml", xml.toString(), "--vg", lvm.vg(), "--thin-pool", lvm.thinPool()};
        out.println();
        out.println("== 2. The plan (--dry-run)");
        out.flush();
        QvmToLvm.run(concat(target, "--all", "--dry-run"), out, commandLine.getErr());
        out.println();
        out.println("== 3. The migration (--all --yes)");
        out.flush();
        int code = QvmToLvm.run(concat(target, "--all", "--yes"), out, commandLine.getErr());
        if (code != ExitCodes.DONE) {
            out.println("The migration ended with exit code " + code);
            return code;
        }
        out.println();
        out.println("== 4. Verification, independent of the tool: content digests of each source image and its new LV");
        QubesXml before = org.qubesstorage.xml.QubesXmlDocument.parse(new String(original, StandardCharsets.UTF_8), "before").model();
        boolean allEqual = verify(out, before, xml);
        out.println();
        out.println("== 5. Every domain's volumes start and stop from the new qubes.xml");
        startStop(out, xml);
        out.println();
        out.println("== 6. qubes.xml: what changed");
        List<String> a = new String(original, StandardCharsets.UTF_8).lines().toList();
        List<String> b = Files.readString(xml).lines().toList();
        UnifiedDiffUtils.generateUnifiedDiff("qubes.xml.orig", "qubes.xml", a, DiffUtils.diff(a, b), 0).forEach(out::println);
        out.println();
        out.println("== 7. The thin pool now (lvs)");
        out.println(lvm.lvs());
        out.flush();
        return allEqual ? ExitCodes.DONE : ExitCodes.PARTIAL;
    }

    private static boolean verify(PrintWriter out, QubesXml before, Path xml) {
        SparseCopier copier = new SparseCopier();
        QubesXml after = QubesXmlFile.load(xml).document().model();
        Path root = xml.getParent();
        boolean ok = true;
        for (var d : before.domains()) {
            for (var v : d.volumes().entrySet()) {
                if (!"True".equals(v.getValue().get("save_on_stop"))) {
                    continue;
                }
                Path src = root.resolve(v.getValue().get("vid") + ".img");
                String newVid = after.domain(d.name()).orElseThrow().volumes().get(v.getKey()).get("vid");
                Path lv = Path.of("/dev", newVid);
                String s = copier.digestOf(src);
                String t = copier.digestOf(lv);
                boolean same = s.equals(t);
                ok &= same;
                out.printf("   %-12s %-8s %s  %s  %s%n", d.name(), v.getKey(), s.substring(0, 23) + "...", same ? "==" : "!=", lv);
            }
        }
        out.println(ok ? "   every copy equals its source" : "   MISMATCH");
        return ok;
    }

    private static void startStop(PrintWriter out, Path xml) throws IOException {
        Path run = Files.createTempDirectory("qvm-to-lvm-demo-run");
        try {
            StorageHost host = Installation.load(xml, Optional.empty(), DriverRegistry.load(Demo.class.getClassLoader(),
                    Optional.empty()), new RunningState(run)).host();
            for (String name : SampleInstallation.DOMAINS) {
                DomainStorage ds = host.domain(name);
                ds.start();
                List<String> devices = new ArrayList<>();
                ds.blockDevices().forEach(b -> devices.add(b.name() + "=" + b.path()));
                ds.stop();
                out.printf("   %-12s started and stopped: %s%n", name, String.join(" ", devices));
            }
        } finally {
            SampleInstallation.deleteTree(run);
        }
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    /** Re-runs this demo inside the project's test VM, where device-mapper and root are available. */
    private int inVm(PrintWriter out) throws IOException, InterruptedException {
        Path home = Path.of(System.getProperty("qvm-to-lvm.home", "."));
        Path harness = home.resolve("test-harness/vm/run-in-vm.sh");
        if (!Files.isExecutable(harness)) {
            commandLine.getErr().println("qvm-to-lvm demo: this host has no usable device-mapper (or this is not root), and the VM"
                    + " harness " + harness + " is not there; run the demo from the repository's ./qvm-to-lvm launcher");
            return ExitCodes.INPUT;
        }
        out.println("This host has no usable device-mapper (or this is not root): running the demo inside the project's test VM");
        out.println("(qemu, Debian's kernel, real device-mapper and lvm2); its steps follow as it runs them, about a minute in all.");
        out.flush();
        String classPath = System.getProperty("java.class.path");
        String cmd = TestVm.javaCommand(classPath) + " " + Demo.class.getName() + " --direct --device /dev/vda";
        ProcessBuilder pb = new ProcessBuilder(harness.toString(), cmd, "3G").inheritIO();
        pb.environment().putIfAbsent("VM_SMP", "2");
        // The VM mounts its own /tmp: a checkout or class path there is shared explicitly.
        Set<String> shared = new LinkedHashSet<>(List.of(home.toAbsolutePath().normalize().toString()));
        shared.addAll(TestVm.directoriesOf(classPath));
        pb.environment().put("VM_SHARE", String.join(":", shared));
        Process p = pb.start();
        return p.waitFor();
    }
}
