package org.qubesstorage.migrate;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.Callable;
import org.qubesstorage.copy.EngineWarmup;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.xml.DomainEntry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code qvm-to-lvm}: moves qubes' volumes from file images (or any pool) into a thin pool (or any
 * pool), crash-safely: plan, copy and verify, switch each domain in qubes.xml, with a journal for
 * {@code --resume} and {@code --rollback}. See the README for a walk-through.
 */
@Command(name = "qvm-to-lvm", mixinStandardHelpOptions = true, version = "qvm-to-lvm 0.1.0 (qubes-storage-java)",
        sortOptions = false, subcommands = Demo.class,
        description = {"Moves qubes' volumes into an LVM thin pool (or any pool) without ever losing data:",
            "plans, copies with the sparse copy engine, verifies by hashing, then switches each domain in qubes.xml.",
            "Exit codes: 0 done, 1 partial (skipped or failed domains are listed), 2 bad usage or input,",
            "3 refused (no room in the target pool, or every selected domain in use)."})
public final class QvmToLvm implements Callable<Integer> {
    @Option(names = "--qubes-xml", paramLabel = "PATH", defaultValue = "/var/lib/qubes/qubes.xml",
            description = "The qubes.xml to migrate (default: ${DEFAULT-VALUE}); R4, or R2/R3 (read only).")
    Path qubesXml;

    @Option(names = "--qubes-dir", paramLabel = "DIR",
            description = "Where the recorded /var/lib/qubes lives now (an old disk, a restored backup); default: the file's directory.")
    Path qubesDir;

    @Option(names = "--pool", paramLabel = "NAME", description = "The target: a pool already in qubes.xml.")
    String pool;

    @Option(names = "--vg", paramLabel = "VG", description = "The target: an existing thin pool in volume group VG (with --thin-pool)...")
    String vg;

    @Option(names = "--thin-pool", paramLabel = "TP", description = "... named TP, added to qubes.xml as an lvm_thin pool.")
    String thinPool;

    @Option(names = "--pool-name", paramLabel = "NAME", description = "The name of the pool --vg/--thin-pool adds (default vm-pool).")
    String poolName;

    @Parameters(paramLabel = "VM", arity = "0..*", description = "The domains to migrate (templates move first).")
    List<String> vms = new ArrayList<>();

    @Option(names = "--all", description = "Migrate every domain.")
    boolean all;

    @Option(names = "--exclude", paramLabel = "VM", description = "Leave this domain out (repeatable).")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--running", paramLabel = "VM", description = "Treat this domain as running: it is skipped (repeatable).")
    List<String> running = new ArrayList<>();

    @Option(names = "--dry-run", description = "Print the plan; change nothing.")
    boolean dryRun;

    @Option(names = "--json", description = "The plan or result as JSON on stdout; human text goes to stderr.")
    boolean json;

    @Option(names = "--resume", description = "Continue the run the journal describes (after a crash or kill).")
    boolean resume;

    @Option(names = "--rollback", description = "Undo the run the journal describes: restore qubes.xml, remove the new volumes.")
    boolean rollback;

    @Option(names = "--remove-source", description = "Delete each old image once its copy is verified and its domain switched.")
    boolean removeSource;

    @Option(names = "--fs-aware", description = "Copy only blocks an ext4 file system uses (free blocks become zeros); "
            + "falls back to a full copy, saying why, for anything else.")
    boolean fsAware;

    @Option(names = "--yes", description = "Do not ask for confirmation.")
    boolean yes;

    @Option(names = "--journal", paramLabel = "PATH", description = "The journal (default: qvm-to-lvm.journal beside qubes.xml).")
    Path journalPath;

    @Option(names = "--plugins", paramLabel = "DIR", description = "A directory of pool driver plugins.")
    Path plugins;

    private Output out;
    private final PrintStream progressStream = System.err;
    private final boolean terminal = System.console() != null && System.console().isTerminal();

    public static void main(String[] args) {
        StartupPrefetch.start(); // first: it overlaps with picocli's set-up below
        int code = run(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8), new PrintWriter(System.err, true, StandardCharsets.UTF_8));
        System.exit(code);
    }

    /** Runs the tool (for tests and embedding: nothing exits the JVM). */
    public static int run(String[] args, PrintWriter stdout, PrintWriter stderr) {
        QvmToLvm tool = new QvmToLvm();
        CommandLine cl = new CommandLine(tool);
        cl.setOut(stdout);
        cl.setErr(stderr);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof ToolException t) {
                err.println("qvm-to-lvm: " + t.getMessage());
                err.flush();
                return t.exitCode();
            }
            if (e instanceof StorageException s) {
                err.println("qvm-to-lvm: " + s.getMessage());
                err.flush();
                return ExitCodes.INPUT;
            }
            err.println("qvm-to-lvm: unexpected failure: " + e);
            e.printStackTrace(err);
            err.flush();
            return ExitCodes.PARTIAL;
        });
        return cl.execute(args);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        out = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        checkUsage();
        if (!dryRun) {
            // Compiles the copy loops while the JVM reads qubes.xml and waits on LVM (see EngineWarmup).
            EngineWarmup.start();
        }
        DriverRegistry drivers = DriverRegistry.load(QvmToLvm.class.getClassLoader(), Optional.ofNullable(plugins));
        Installation inst = Installation.load(qubesXml, Optional.ofNullable(qubesDir), drivers);
        Path journal = journalPath != null ? journalPath : qubesXml.toAbsolutePath().getParent().resolve("qvm-to-lvm.journal");
        List<RunningCheck> checks = runningChecks();
        if (rollback) {
            return rollback(inst, journal, checks);
        }
        if (resume) {
            return resume(inst, journal);
        }
        return migrate(inst, journal, checks);
    }

    private void checkUsage() {
        if (resume && rollback) {
            throw ToolException.input("--resume and --rollback exclude each other");
        }
        boolean newRun = !resume && !rollback;
        boolean named = pool != null;
        boolean thin = vg != null || thinPool != null;
        if (newRun) {
            if (named == thin) {
                throw ToolException.input("Name the target: --pool NAME, or --vg VG --thin-pool TP");
            }
            if (thin && (vg == null || thinPool == null)) {
                throw ToolException.input("--vg and --thin-pool go together");
            }
            if (poolName != null && !thin) {
                throw ToolException.input("--pool-name names the pool --vg/--thin-pool adds; with --pool it has no use");
            }
        } else if (named || thin || all || !vms.isEmpty() || dryRun || removeSource || fsAware) {
            throw ToolException.input("--resume and --rollback take what to do from the journal; give only --qubes-xml, --journal, --yes, --json");
        }
    }

    private List<RunningCheck> runningChecks() {
        List<RunningCheck> checks = new ArrayList<>();
        Set<String> named = new LinkedHashSet<>(running);
        checks.add((domain, images) -> named.contains(domain) ? Optional.of("named by --running") : Optional.empty());
        checks.add(new ImagesInUse());
        ServiceLoader.load(RunningCheck.class, QvmToLvm.class.getClassLoader()).forEach(checks::add);
        return checks;
    }

    // ---- a new run -------------------------------------------------------------------------------

    private int migrate(Installation inst, Path journalFile, List<RunningCheck> checks) {
        boolean legacy = inst.model().format() == org.qubesstorage.xml.QubesXml.Format.LEGACY_R2_R3;
        if (legacy && removeSource) {
            throw ToolException.input("--remove-source is refused for a legacy R2/R3 file: it is never rewritten, so the old"
                    + " images stay the only configured copy; remove them yourself once the R4 entries are in place");
        }
        if (legacy && pool != null) {
            throw ToolException.input("A legacy R2/R3 file has no pools; name the target with --vg VG --thin-pool TP");
        }
        if (Files.exists(journalFile) && !dryRun) {
            Optional<JournalState> old = previousState(journalFile);
            if (old.isPresent() && !old.get().finished()) {
                throw ToolException.input("An interrupted run's journal is at " + journalFile + ": continue it with --resume or undo it"
                        + " with --rollback first");
            }
        }
        Target target = pool != null ? Target.named(inst, pool) : Target.thinPool(inst, vg, thinPool, Optional.ofNullable(poolName), dryRun);
        Set<String> excluded = new LinkedHashSet<>(exclude);
        List<DomainEntry> selected = Planner.select(inst.model(), vms, all, excluded);
        MigrationPlan plan = new Planner(inst, target, checks).plan(selected, Hashing.sha256(inst.file().path()));
        Reports.plan(out.human(), plan);
        int predicted = predictedExit(plan);
        if (plan.space().refusal() != null) {
            json(Map.of("plan", plan, "exitCode", predicted));
            throw new ToolException(ExitCodes.REFUSED, "Refused: " + plan.space().refusal());
        }
        if (dryRun || plan.migrating().isEmpty()) {
            json(Map.of("plan", plan, "exitCode", predicted));
            if (plan.migrating().isEmpty()) {
                out.human().println(predicted == ExitCodes.REFUSED ? "Nothing can be migrated now." : "Nothing to migrate.");
            }
            return predicted;
        }
        confirm();
        if (Files.exists(journalFile)) {
            archive(journalFile, "");
        }
        Path backup = legacy ? null : backup(inst.file().path());
        try (Journal journal = Journal.open(journalFile)) {
            journal.append(new Journal.Entry("run", Instant.now().toString(), null, null, null, null, ProcessHandle.current().pid(),
                    plan, backup == null ? null : backup.toString(), removeSource, fsAware, null));
            Checkpoints.reach("run");
            try (Progress progress = Progress.forStream(progressStream, terminal && !json)) {
                Migrator.Result result = new Migrator(inst, target, journal, null, removeSource, fsAware, progress, out).run(plan);
                return finish(plan, result, backup);
            }
        }
    }

    private static Optional<JournalState> previousState(Path journalFile) {
        List<Journal.Entry> entries = Journal.read(journalFile);
        if (entries.isEmpty()) {
            return Optional.empty(); // killed before its first record: nothing happened
        }
        return Optional.of(JournalState.replay(entries, journalFile));
    }

    private static int predictedExit(MigrationPlan plan) {
        boolean skipped = plan.domains().stream().anyMatch(d -> d.status() == MigrationPlan.Status.SKIPPED);
        if (plan.space().refusal() != null || (skipped && plan.migrating().isEmpty())) {
            return ExitCodes.REFUSED;
        }
        return skipped ? ExitCodes.PARTIAL : ExitCodes.DONE;
    }

    private void confirm() {
        if (yes) {
            return;
        }
        if (!terminal) {
            throw ToolException.input("Not on a terminal: add --yes to proceed without the confirmation prompt");
        }
        String answer = System.console().readLine("Proceed? [y/N] ");
        if (answer == null || !answer.strip().equalsIgnoreCase("y") && !answer.strip().equalsIgnoreCase("yes")) {
            throw ToolException.input("Not confirmed; nothing was changed");
        }
    }

    /** Copies qubes.xml to {@code qubes.xml.<UTC>.qvm-to-lvm.bak}, durably, once per run. */
    private static Path backup(Path qubesXml) {
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(Instant.now().atOffset(ZoneOffset.UTC));
        Path backup = qubesXml.toAbsolutePath().resolveSibling(qubesXml.getFileName() + "." + stamp + ".qvm-to-lvm.bak");
        for (int i = 1; Files.exists(backup); i++) {
            backup = qubesXml.toAbsolutePath().resolveSibling(qubesXml.getFileName() + "." + stamp + "-" + i + ".qvm-to-lvm.bak");
        }
        try {
            Files.copy(qubesXml, backup, StandardCopyOption.COPY_ATTRIBUTES);
            DurableFiles.fsyncFile(backup);
            DurableFiles.fsyncDirectory(backup.getParent());
            return backup;
        } catch (IOException e) {
            throw ToolException.input("Cannot back up " + qubesXml + " to " + backup + ": " + e.getMessage());
        }
    }

    /** Moves a finished journal aside so a new run starts its own. */
    private static void archive(Path journalFile, String suffix) {
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(Instant.now().atOffset(ZoneOffset.UTC));
        try {
            Path to = journalFile.resolveSibling(journalFile.getFileName() + suffix + "." + stamp);
            for (int i = 1; Files.exists(to); i++) {
                to = journalFile.resolveSibling(journalFile.getFileName() + suffix + "." + stamp + "-" + i);
            }
            Files.move(journalFile, to);
            DurableFiles.fsyncDirectory(journalFile.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw ToolException.input("Cannot move the finished journal " + journalFile + " aside: " + e.getMessage());
        }
    }

    private int finish(MigrationPlan plan, Migrator.Result result, Path backup) {
        Reports.summary(out.human(), result);
        Reports.legacyEntries(out.human(), result.legacyEntries());
        if (backup != null) {
            out.human().println("The original qubes.xml is kept as " + backup + "; undo with --rollback.");
        }
        boolean partial = result.domains().stream().anyMatch(d -> d.outcome().equals("failed") || d.outcome().equals("skipped"));
        int code = partial ? ExitCodes.PARTIAL : ExitCodes.DONE;
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("plan", plan);
        doc.put("result", result);
        doc.put("exitCode", code);
        json(doc);
        return code;
    }

    private void json(Object value) {
        if (!json) {
            return;
        }
        try {
            out.stdout().println(Journal.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
            out.stdout().flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("plan not serialisable", e);
        }
    }

    // ---- resume and rollback ---------------------------------------------------------------------

    private JournalState journaled(Path journalFile, String what) {
        if (!Files.exists(journalFile)) {
            throw ToolException.input("No journal at " + journalFile + ": nothing to " + what);
        }
        return previousState(journalFile).orElseThrow(() -> ToolException.input("The journal " + journalFile
                + " is empty: the run was stopped before it changed anything; nothing to " + what));
    }

    private int resume(Installation inst, Path journalFile) {
        JournalState state = journaled(journalFile, "resume");
        if (state.rollbackStarted() && !state.rolledBack()) {
            throw ToolException.input("A rollback of this run was started; finish it with --rollback");
        }
        if (state.finished()) {
            out.human().println("The journaled run is complete; nothing to resume.");
            return ExitCodes.DONE;
        }
        MigrationPlan plan = state.plan();
        Reports.plan(out.human(), plan);
        try (Journal journal = Journal.open(journalFile)) {
            journal.append(Journal.Entry.of("resume").withPid());
            Migrator.removeStaleTemporaries(inst.file().path(), state.pids());
            Target target = Target.reload(inst, plan.targetPool(), plan.addedPool());
            try (Progress progress = Progress.forStream(progressStream, terminal && !json)) {
                Migrator.Result result = new Migrator(inst, target, journal, state, state.removeSource(), state.fsAware(), progress, out)
                        .run(plan);
                return finish(plan, result, state.backup());
            }
        }
    }

    private int rollback(Installation inst, Path journalFile, List<RunningCheck> checks) {
        JournalState state = journaled(journalFile, "roll back");
        if (state.rolledBack()) {
            out.human().println("The journaled run was already rolled back.");
            return ExitCodes.DONE;
        }
        MigrationPlan plan = state.plan();
        Rollback.Result r;
        try (Journal journal = Journal.open(journalFile)) {
            Migrator.removeStaleTemporaries(inst.file().path(), state.pids());
            Target target = Target.reload(inst, plan.targetPool(), plan.addedPool());
            r = new Rollback(inst, target, state, journal, checks, out).run();
        }
        archive(journalFile, ".rolled-back");
        r.restored().forEach(d -> out.human().println("  " + d + ": restored"));
        r.kept().forEach((d, why) -> out.human().println("  " + d + ": kept as migrated - " + why));
        r.removedVolumes().forEach(v -> out.human().println("  removed " + v));
        json(r);
        return r.kept().isEmpty() ? ExitCodes.DONE : ExitCodes.PARTIAL;
    }
}
