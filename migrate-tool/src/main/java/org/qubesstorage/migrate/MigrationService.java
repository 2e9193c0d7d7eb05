package org.qubesstorage.migrate;

import static java.util.Objects.requireNonNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import org.qubesstorage.console.QubesdGuard;
import org.qubesstorage.copy.EngineWarmup;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.migrate.MigrationRequest.ExistingPool;
import org.qubesstorage.migrate.MigrationRequest.NewRun;
import org.qubesstorage.migrate.MigrationRequest.NewThinPool;
import org.qubesstorage.migrate.MigrationRequest.ResumeRun;
import org.qubesstorage.migrate.MigrationRequest.RollbackRun;
import org.qubesstorage.xml.DomainEntry;

/**
 * Carries out {@code qvm-to-lvm}'s runs: a new migration (plan, copy and verify, switch each
 * domain in qubes.xml, all journaled), {@code --resume} and {@code --rollback}. It reads no option,
 * prints nothing and never exits: it takes a {@link MigrationRequest}, tells a {@link RunReport}
 * what happens, and returns the run's exit code ({@link ExitCodes}). Failures that end a run are
 * thrown as {@link ToolException} or {@link org.qubesstorage.spi.StorageException}; what a failed
 * run leaves behind is in its journal.
 */
final class MigrationService {
    private final QubesdGuard qubesd;
    private final RunObserver observer;

    /**
     * @param qubesd   how to tell whether qubesd runs (its writes would race the tool's)
     * @param observer told of every checkpoint and phase (logging; tests put kill points there)
     */
    MigrationService(QubesdGuard qubesd, RunObserver observer) {
        this.qubesd = requireNonNull(qubesd, "qubesd");
        this.observer = requireNonNull(observer, "observer");
    }

    /**
     * Runs {@code request}, reporting to {@code report}; {@code started} is where the elapsed time
     * the summary gives begins. Returns the exit code.
     */
    int run(MigrationRequest request, RunReport report, Instant started) {
        boolean dryRun = request.mode() instanceof NewRun n && n.dryRun();
        if (!dryRun) {
            // Compiles the copy loops while the JVM reads qubes.xml and waits on LVM (see EngineWarmup).
            EngineWarmup.start();
        }
        DriverRegistry drivers = DriverRegistry.load(MigrationService.class.getClassLoader(), request.plugins());
        if (request.mode() instanceof NewRun n && n.target() instanceof NewThinPool thin && StartupPrefetch.enabled()) {
            prepareTarget(drivers, thin);
        }
        Installation inst = Installation.load(request.qubesXml(), request.qubesDir(), drivers);
        observer.phase("qubes.xml read");
        List<RunningCheck> checks = runningChecks(inst, request.running());
        if (dryRun) {
            qubesd.running().ifPresent(why -> report.line("Warning: " + why));
        } else if (inst.model().format() != org.qubesstorage.xml.QubesXml.Format.LEGACY_R2_R3) {
            String what = switch (request.mode()) {
                case RollbackRun r -> "roll back";
                case ResumeRun r -> "resume";
                case NewRun r -> "migrate";
            };
            qubesd.running().ifPresent(why -> {
                throw ToolException.input("Refusing to " + what + ": " + why);
            });
        }
        Path journal = request.journalFile();
        return switch (request.mode()) {
            case NewRun n -> new NewRunSteps(inst, journal, checks, n, report, started).run();
            case ResumeRun r -> resume(inst, journal, report, started);
            case RollbackRun r -> rollback(inst, journal, checks, report);
        };
    }

    /**
     * Tells the driver of the new thin pool what it will be asked for while qubes.xml is read
     * (lvm_thin starts reading the volume group's lvs report then, instead of after).
     */
    private static void prepareTarget(DriverRegistry drivers, NewThinPool thin) {
        Map<String, String> parameters = new HashMap<>();
        parameters.put("volume_group", thin.volumeGroup());
        parameters.put("thin_pool", thin.thinPool());
        try {
            drivers.find(Target.THIN_DRIVER).ifPresent(d -> d.prepare(parameters, HostDriverContext.system()));
        } catch (RuntimeException e) {
            // only a hint (the SPI forbids throwing there): the pool's creation reports a real problem
        }
    }

    private static List<RunningCheck> runningChecks(Installation inst, List<String> running) {
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
        ServiceLoader.load(RunningCheck.class, MigrationService.class.getClassLoader()).forEach(checks::add);
        return checks;
    }

    // ---- a new run -------------------------------------------------------------------------------

    /** The steps of a new run, sharing its installation, request and report. */
    private final class NewRunSteps {
        private final Installation inst;
        private final Path journalFile;
        private final List<RunningCheck> checks;
        private final NewRun request;
        private final RunReport report;
        private final Instant started;
        private final boolean legacy;

        NewRunSteps(Installation inst, Path journalFile, List<RunningCheck> checks, NewRun request, RunReport report, Instant started) {
            this.inst = inst;
            this.journalFile = journalFile;
            this.checks = checks;
            this.request = request;
            this.report = report;
            this.started = started;
            this.legacy = inst.model().format() == org.qubesstorage.xml.QubesXml.Format.LEGACY_R2_R3;
        }

        int run() {
            checkFormat();
            if (Files.exists(journalFile) && !request.dryRun()) {
                Optional<JournalState> old = previousState(journalFile);
                if (old.isPresent() && !old.get().finished()) {
                    throw ToolException.input("An interrupted run's journal is at " + journalFile + ": continue it with --resume or undo it"
                            + " with --rollback first");
                }
            }
            Target target = switch (request.target()) {
                case ExistingPool p -> Target.named(inst, p.name());
                case NewThinPool t -> Target.thinPool(inst, t.volumeGroup(), t.thinPool(), t.poolName(), request.dryRun());
            };
            observer.phase("target pool set up");
            List<DomainEntry> selected = Planner.select(inst.model(), request.vms(), request.all(), new LinkedHashSet<>(request.exclude()));
            MigrationPlan plan = new Planner(inst, target, checks).plan(selected, Hashing.sha256(inst.file().path()));
            observer.phase("planned");
            report.plan(plan);
            Optional<String> refusal = refusal(plan);
            if (refusal.isPresent()) {
                report.planned(plan, refusal, ExitCodes.REFUSED);
                throw new ToolException(ExitCodes.REFUSED, "Refused: " + refusal.get());
            }
            if (request.dryRun() || plan.migrating().isEmpty()) {
                int predicted = predictedExit(plan);
                report.planned(plan, Optional.empty(), predicted);
                return predicted;
            }
            if (!report.confirm(plan)) {
                throw ToolException.input("Not confirmed; nothing was changed");
            }
            observer.phase("plan shown, confirmed");
            if (Files.exists(journalFile)) {
                RunFiles.archive(journalFile, "");
                observer.phase("previous journal archived");
            }
            Optional<Path> backup = legacy ? Optional.empty() : Optional.of(RunFiles.backup(inst.file().path()));
            observer.phase("qubes.xml backed up");
            try (Journal journal = Journal.open(journalFile, inst.file().path())) {
                observer.phase("journal opened");
                journal.append(new Journal.Entry(JournalStep.RUN, Instant.now().toString(), null, null, null, null,
                        ProcessHandle.current().pid(), plan, backup.map(Path::toString).orElse(null), request.removeSource(),
                        request.fsAware(), null));
                observer.checkpoint("run");
                observer.phase("journal opened, qubes.xml backed up");
                try (Progress progress = report.progress()) {
                    Migrator.Result result = new Migrator(inst, target, journal, null, request.removeSource(), request.fsAware(), progress,
                            report, observer).run(plan);
                    return finish(plan, result, backup, report, started);
                }
            }
        }

        private void checkFormat() {
            if (legacy && request.removeSource()) {
                throw ToolException.input("--remove-source is refused for a legacy R2/R3 file: it is never rewritten, so the old"
                        + " images stay the only configured copy; remove them yourself once the R4 entries are in place");
            }
            if (legacy && request.target() instanceof ExistingPool) {
                throw ToolException.input("A legacy R2/R3 file has no pools; name the target with --vg VG --thin-pool TP");
            }
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
            if (request.dryRun() && plan.space().note() != null) {
                return Optional.of("the space " + plan.space().note() + "; the plan above is complete, but a run would not start");
            }
            return Optional.empty();
        }
    }

    private static int predictedExit(MigrationPlan plan) {
        boolean skipped = plan.domains().stream().anyMatch(d -> d.status() == MigrationPlan.Status.SKIPPED);
        if (plan.space().refusal() != null || (skipped && plan.migrating().isEmpty())) {
            return ExitCodes.REFUSED;
        }
        return skipped ? ExitCodes.PARTIAL : ExitCodes.DONE;
    }

    private static Optional<JournalState> previousState(Path journalFile) {
        List<Journal.Entry> entries = Journal.read(journalFile);
        if (entries.isEmpty()) {
            return Optional.empty(); // killed before its first record: nothing happened
        }
        return Optional.of(JournalState.replay(entries, journalFile));
    }

    private int finish(MigrationPlan plan, Migrator.Result result, Optional<Path> backup, RunReport report, Instant started) {
        observer.phase("migrated");
        boolean partial = result.domains().stream().anyMatch(d -> d.outcome().incomplete());
        int code = partial ? ExitCodes.PARTIAL : ExitCodes.DONE;
        report.migrated(plan, result, Duration.between(started, Instant.now()), backup, code);
        return code;
    }

    // ---- resume and rollback ---------------------------------------------------------------------

    private static JournalState journaled(Path journalFile, String what) {
        if (!Files.exists(journalFile)) {
            throw ToolException.input("No journal at " + journalFile + ": nothing to " + what);
        }
        return previousState(journalFile).orElseThrow(() -> ToolException.input("The journal " + journalFile
                + " is empty: the run was stopped before it changed anything; nothing to " + what));
    }

    private int resume(Installation inst, Path journalFile, RunReport report, Instant started) {
        JournalState state = journaled(journalFile, "resume");
        JournalBinding.require(state, inst, journalFile);
        if (state.rollbackStarted() && !state.rolledBack()) {
            throw ToolException.input("A rollback of this run was started; finish it with --rollback");
        }
        if (state.finished()) {
            report.line("The journaled run is complete; nothing to resume.");
            return ExitCodes.DONE;
        }
        MigrationPlan plan = state.plan();
        report.plan(plan);
        try (Journal journal = Journal.open(journalFile, inst.file().path())) {
            journal.append(Journal.Entry.of(JournalStep.RESUME).withPid());
            Migrator.removeStaleTemporaries(inst.file().path(), state.pids());
            Target target = Target.reload(inst, plan.targetPool(), plan.addedPool());
            try (Progress progress = report.progress()) {
                Migrator.Result result = new Migrator(inst, target, journal, state, state.removeSource(), state.fsAware(), progress, report,
                        observer).run(plan);
                return finish(plan, result, Optional.ofNullable(state.backup()), report, started);
            }
        }
    }

    private int rollback(Installation inst, Path journalFile, List<RunningCheck> checks, RunReport report) {
        JournalState state = journaled(journalFile, "roll back");
        JournalBinding.require(state, inst, journalFile);
        if (state.rolledBack()) {
            report.line("The journaled run was already rolled back.");
            return ExitCodes.DONE;
        }
        MigrationPlan plan = state.plan();
        Rollback.Result r;
        try (Journal journal = Journal.open(journalFile, inst.file().path())) {
            Migrator.removeStaleTemporaries(inst.file().path(), state.pids());
            Target target = Target.reload(inst, plan.targetPool(), plan.addedPool());
            r = new Rollback(inst, target, state, journal, checks, report, observer).run();
        }
        RunFiles.archive(journalFile, ".rolled-back");
        int code = r.kept().isEmpty() ? ExitCodes.DONE : ExitCodes.PARTIAL;
        report.rolledBack(r, code);
        return code;
    }
}
