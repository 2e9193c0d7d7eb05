package org.qubesstorage.migrate;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.Callable;
import org.qubesstorage.console.TerminalSafeWriter;
import org.qubesstorage.copy.EngineWarmup;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.xml.DomainEntry;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code qvm-to-lvm}: moves qubes' volumes from file images (or any pool) into a thin pool (or any
 * pool), crash-safely: plan, copy and verify, switch each domain in qubes.xml, with a journal for
 * {@code --resume} and {@code --rollback}. See the README for a walk-through.
 */
public final class QvmToLvm implements Callable<Integer> {
    // The options, copied from the parsed command line (ToolCommandLine declares and documents them).
    Path qubesXml;
    Path qubesDir;
    String pool;
    String vg;
    String thinPool;
    String poolName;
    List<String> vms;
    boolean all;
    List<String> exclude;
    List<String> running;
    boolean dryRun;
    boolean json;
    boolean resume;
    boolean rollback;
    boolean removeSource;
    boolean fsAware;
    boolean yes;
    Path journalPath;
    Path plugins;

    private final Instant started;
    private final QubesdGuard qubesd;
    private final RunObserver observer;
    private Output out;
    private final PrintStream progressStream = System.err;
    private final boolean terminal = System.console() != null && System.console().isTerminal();

    public static void main(String[] args) {
        StartupPrefetch.start(); // first: it overlaps with picocli's set-up below
        RunObserver.LOG_PHASES.phase("main reached");
        // The launcher execs java, so the process started with the launcher: a run's elapsed time
        // then includes the JVM's start, as a stopwatch around the command would.
        Instant started = ProcessHandle.current().info().startInstant().orElseGet(Instant::now);
        int code = run(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8), new PrintWriter(System.err, true, StandardCharsets.UTF_8),
                started);
        System.exit(code);
    }

    /** Runs the tool (for tests and embedding: nothing exits the JVM). */
    public static int run(String[] args, PrintWriter stdout, PrintWriter stderr) {
        return run(args, stdout, stderr, Instant.now());
    }

    /** As {@link #run(String[], PrintWriter, PrintWriter)}; {@code started} is where the elapsed time the summary reports begins. */
    static int run(String[] args, PrintWriter stdout, PrintWriter stderr, Instant started) {
        return run(args, stdout, stderr, new QvmToLvm(started));
    }

    /** Runs {@code tool} (tests give it the qubesd socket to probe). */
    static int run(String[] args, PrintWriter stdout, PrintWriter stderr, QvmToLvm tool) {
        CommandLine cl = ToolCommandLine.create(tool);
        cl.setOut(new PrintWriter(new TerminalSafeWriter(stdout), true));
        cl.setErr(new PrintWriter(new TerminalSafeWriter(stderr), true));
        boolean jsonRequested = java.util.Arrays.asList(args).contains("--json");
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof ToolException || e instanceof StorageException) {
                int code = e instanceof ToolException t ? t.exitCode() : ExitCodes.of((StorageException) e);
                err.println("qvm-to-lvm: " + e.getMessage());
                err.flush();
                if (jsonRequested) {
                    jsonError(cmd.getOut(), e.getMessage(), code);
                }
                return code;
            }
            // A bug, not a partial migration: the journal says what was done, so exit 1 would mislead.
            err.println("qvm-to-lvm: internal error, please report it with the trace below: " + e);
            e.printStackTrace(err);
            err.flush();
            if (jsonRequested) {
                jsonError(cmd.getOut(), "internal error: " + e, ExitCodes.INPUT);
            }
            return ExitCodes.INPUT;
        });
        return cl.execute(args);
    }

    private CommandLine commandLine;

    /** With {@code --json}, a failure still puts one JSON object on stdout: {@code {"error": ..., "exitCode": ...}}. */
    private static void jsonError(PrintWriter out, String message, int code) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("error", message);
        doc.put("exitCode", code);
        try {
            out.println(Journal.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
            out.flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    QvmToLvm() {
        this(Instant.now());
    }

    QvmToLvm(Instant started) {
        this(started, QubesdGuard.system());
    }

    QvmToLvm(Instant started, QubesdGuard qubesd) {
        this(started, qubesd, RunObserver.LOG_PHASES);
    }

    /** A tool whose run reports its checkpoints and phases to {@code observer} (tests: kill points). */
    QvmToLvm(Instant started, QubesdGuard qubesd, RunObserver observer) {
        this.started = requireNonNull(started, "started");
        this.qubesd = requireNonNull(qubesd, "qubesd");
        this.observer = requireNonNull(observer, "observer");
    }

    /** Called by {@link ToolCommandLine#create}: where the parsed options come from. */
    void commandLine(CommandLine commandLine) {
        this.commandLine = commandLine;
    }

    /** Copies the options picocli parsed into {@code spec} into the fields (first thing in {@link #call}). */
    void copyOptions(CommandSpec spec) {
        qubesXml = ToolCommandLine.value(spec, "--qubes-xml");
        qubesDir = ToolCommandLine.value(spec, "--qubes-dir");
        pool = ToolCommandLine.value(spec, "--pool");
        vg = ToolCommandLine.value(spec, "--vg");
        thinPool = ToolCommandLine.value(spec, "--thin-pool");
        poolName = ToolCommandLine.value(spec, "--pool-name");
        vms = ToolCommandLine.values(spec, null);
        all = ToolCommandLine.flag(spec, "--all");
        exclude = ToolCommandLine.values(spec, "--exclude");
        running = ToolCommandLine.values(spec, "--running");
        dryRun = ToolCommandLine.flag(spec, "--dry-run");
        json = ToolCommandLine.flag(spec, "--json");
        resume = ToolCommandLine.flag(spec, "--resume");
        rollback = ToolCommandLine.flag(spec, "--rollback");
        removeSource = ToolCommandLine.flag(spec, "--remove-source");
        fsAware = ToolCommandLine.flag(spec, "--fs-aware");
        yes = ToolCommandLine.flag(spec, "--yes");
        journalPath = ToolCommandLine.value(spec, "--journal");
        plugins = ToolCommandLine.value(spec, "--plugins");
    }

    @Override
    public Integer call() {
        observer.phase("command line parsed");
        copyOptions(commandLine.getCommandSpec());
        out = new Output(commandLine.getOut(), commandLine.getErr(), json);
        checkUsage();
        if (!dryRun) {
            // Compiles the copy loops while the JVM reads qubes.xml and waits on LVM (see EngineWarmup).
            EngineWarmup.start();
        }
        DriverRegistry drivers = DriverRegistry.load(QvmToLvm.class.getClassLoader(), Optional.ofNullable(plugins));
        if (vg != null && StartupPrefetch.enabled()) {
            prepareTarget(drivers, vg, thinPool);
        }
        Installation inst = Installation.load(qubesXml, Optional.ofNullable(qubesDir), drivers);
        observer.phase("qubes.xml read");
        Path journal = journalPath != null ? journalPath : qubesXml.toAbsolutePath().getParent().resolve("qvm-to-lvm.journal");
        List<RunningCheck> checks = runningChecks(inst);
        if (dryRun) {
            qubesd.running().ifPresent(why -> out.human().println("Warning: " + why));
        } else if (inst.model().format() != org.qubesstorage.xml.QubesXml.Format.LEGACY_R2_R3) {
            qubesd.refuseWrites(rollback ? "roll back" : resume ? "resume" : "migrate");
        }
        if (rollback) {
            return rollback(inst, journal, checks);
        }
        if (resume) {
            return resume(inst, journal);
        }
        return migrate(inst, journal, checks);
    }

    /**
     * Tells the driver of {@code --vg}'s pool what it will be asked for while qubes.xml is read
     * (lvm_thin starts reading the volume group's lvs report then, instead of after).
     */
    private static void prepareTarget(DriverRegistry drivers, String vg, String thinPool) {
        Map<String, String> parameters = new HashMap<>();
        parameters.put("volume_group", vg);
        if (thinPool != null) {
            parameters.put("thin_pool", thinPool);
        }
        try {
            drivers.find(Target.THIN_DRIVER).ifPresent(d -> d.prepare(parameters, HostDriverContext.system()));
        } catch (RuntimeException e) {
            // only a hint (the SPI forbids throwing there): the pool's creation reports a real problem
        }
    }

    private void checkUsage() {
        if (resume && rollback) {
            throw ToolException.input("--resume and --rollback exclude each other");
        }
        boolean newRun = !resume && !rollback;
        boolean named = pool != null;
        boolean thin = vg != null || thinPool != null;
        if (newRun) {
            if (named && thin) {
                throw ToolException.input("--pool and --vg/--thin-pool conflict: each names a target pool; give one of them");
            }
            if (!named && !thin) {
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

    private List<RunningCheck> runningChecks(Installation inst) {
        List<RunningCheck> checks = new ArrayList<>();
        Set<String> named = new LinkedHashSet<>(running);
        for (String n : named) {
            if (inst.model().domain(n).isEmpty()) {
                // A typo here would leave a running qube unprotected: refuse it as --exclude does.
                throw ToolException.input("--running " + n + ": no such domain in qubes.xml");
            }
        }
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
        observer.phase("target pool set up");
        Set<String> excluded = new LinkedHashSet<>(exclude);
        List<DomainEntry> selected = Planner.select(inst.model(), vms, all, excluded);
        MigrationPlan plan = new Planner(inst, target, checks).plan(selected, Hashing.sha256(inst.file().path()));
        observer.phase("planned");
        Reports.plan(out.human(), plan);
        int predicted = predictedExit(plan);
        Optional<String> refusal = refusal(plan);
        if (refusal.isPresent()) {
            json(Map.of("plan", plan, "exitCode", ExitCodes.REFUSED));
            throw new ToolException(ExitCodes.REFUSED, "Refused: " + refusal.get());
        }
        if (dryRun || plan.migrating().isEmpty()) {
            json(Map.of("plan", plan, "exitCode", predicted));
            if (plan.migrating().isEmpty()) {
                out.human().println(predicted == ExitCodes.REFUSED ? "Nothing can be migrated now." : "Nothing to migrate.");
            }
            return predicted;
        }
        confirm();
        observer.phase("plan shown, confirmed");
        if (Files.exists(journalFile)) {
            archive(journalFile, "");
            observer.phase("previous journal archived");
        }
        Path backup = legacy ? null : backup(inst.file().path());
        observer.phase("qubes.xml backed up");
        try (Journal journal = Journal.open(journalFile, inst.file().path())) {
            observer.phase("journal opened");
            journal.append(new Journal.Entry("run", Instant.now().toString(), null, null, null, null, ProcessHandle.current().pid(),
                    plan, backup == null ? null : backup.toString(), removeSource, fsAware, null));
            observer.checkpoint("run");
            observer.phase("journal opened, qubes.xml backed up");
            try (Progress progress = Progress.forStream(progressStream, terminal && !json)) {
                Migrator.Result result = new Migrator(inst, target, journal, null, removeSource, fsAware, progress, out, observer).run(plan);
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

    /**
     * Why the whole plan is refused (exit 3) before anything is written: no room in the target,
     * data that qubes.xml records is missing, or (in a dry run) the space could not be checked.
     */
    private Optional<String> refusal(MigrationPlan plan) {
        if (plan.space().refusal() != null) {
            return Optional.of(plan.space().refusal());
        }
        List<String> missing = plan.domains().stream().filter(d -> d.status() == MigrationPlan.Status.DATA_MISSING)
                .map(MigrationPlan.DomainPlan::name).toList();
        if (!missing.isEmpty()) {
            return Optional.of("data that qubes.xml records is missing for " + String.join(", ", missing)
                    + " (see the plan); is --qubes-dir right, is the disk mounted?");
        }
        if (dryRun && plan.space().note() != null) {
            return Optional.of("the space " + plan.space().note() + "; the plan above is complete, but a run would not start");
        }
        return Optional.empty();
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
            throw ToolException.input("Cannot back up " + qubesXml + " to " + backup + ": " + IoReasons.of(e));
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
            throw ToolException.input("Cannot move the finished journal " + journalFile + " aside: " + IoReasons.of(e));
        }
    }

    private int finish(MigrationPlan plan, Migrator.Result result, Path backup) {
        observer.phase("migrated");
        Reports.summary(out.human(), result);
        long elapsed = Duration.between(started, Instant.now()).toMillis();
        Reports.elapsed(out.human(), elapsed, result);
        Reports.legacyEntries(out.human(), result.legacyEntries());
        if (backup != null) {
            out.human().println("The original qubes.xml is kept as " + backup + "; undo with --rollback.");
        }
        boolean partial = result.domains().stream().anyMatch(d -> d.outcome().incomplete());
        int code = partial ? ExitCodes.PARTIAL : ExitCodes.DONE;
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("plan", plan);
        doc.put("result", result);
        doc.put("elapsedMillis", elapsed);
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
        JournalBinding.require(state, inst, journalFile);
        if (state.rollbackStarted() && !state.rolledBack()) {
            throw ToolException.input("A rollback of this run was started; finish it with --rollback");
        }
        if (state.finished()) {
            out.human().println("The journaled run is complete; nothing to resume.");
            return ExitCodes.DONE;
        }
        MigrationPlan plan = state.plan();
        Reports.plan(out.human(), plan);
        try (Journal journal = Journal.open(journalFile, inst.file().path())) {
            journal.append(Journal.Entry.of("resume").withPid());
            Migrator.removeStaleTemporaries(inst.file().path(), state.pids());
            Target target = Target.reload(inst, plan.targetPool(), plan.addedPool());
            try (Progress progress = Progress.forStream(progressStream, terminal && !json)) {
                Migrator.Result result = new Migrator(inst, target, journal, state, state.removeSource(), state.fsAware(), progress, out, observer)
                        .run(plan);
                return finish(plan, result, state.backup());
            }
        }
    }

    private int rollback(Installation inst, Path journalFile, List<RunningCheck> checks) {
        JournalState state = journaled(journalFile, "roll back");
        JournalBinding.require(state, inst, journalFile);
        if (state.rolledBack()) {
            out.human().println("The journaled run was already rolled back.");
            return ExitCodes.DONE;
        }
        MigrationPlan plan = state.plan();
        Rollback.Result r;
        try (Journal journal = Journal.open(journalFile, inst.file().path())) {
            Migrator.removeStaleTemporaries(inst.file().path(), state.pids());
            Target target = Target.reload(inst, plan.targetPool(), plan.addedPool());
            r = new Rollback(inst, target, state, journal, checks, out, observer).run();
        }
        archive(journalFile, ".rolled-back");
        r.restored().forEach(d -> out.human().println("  " + d + ": restored"));
        r.kept().forEach((d, why) -> out.human().println("  " + d + ": kept as migrated - " + why));
        r.removedVolumes().forEach(v -> out.human().println("  removed " + v));
        json(r);
        return r.kept().isEmpty() ? ExitCodes.DONE : ExitCodes.PARTIAL;
    }
}
