package org.qubesstorage.migrate;

import static java.util.Objects.requireNonNull;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.qubesstorage.console.QubesdGuard;
import org.qubesstorage.console.TerminalSafeWriter;
import org.qubesstorage.migrate.MigrationRequest.ExistingPool;
import org.qubesstorage.migrate.MigrationRequest.Mode;
import org.qubesstorage.migrate.MigrationRequest.NewRun;
import org.qubesstorage.migrate.MigrationRequest.NewThinPool;
import org.qubesstorage.migrate.MigrationRequest.ResumeRun;
import org.qubesstorage.migrate.MigrationRequest.RollbackRun;
import org.qubesstorage.migrate.MigrationRequest.TargetChoice;
import org.qubesstorage.spi.StorageException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code qvm-to-lvm}, the command line: moves qubes' volumes from file images (or any pool) into a
 * thin pool (or any pool), crash-safely. It turns the options ({@link ToolCommandLine}) into a
 * {@link MigrationRequest}, checking that they fit together, lets the {@link MigrationService} run
 * it with a {@link ConsoleReport}, and maps how the run ended to an exit code ({@link ExitCodes}).
 * See the README for a walk-through.
 */
public final class QvmToLvm implements Callable<Integer> {
    private final Instant started;
    private final RunObserver observer;
    private final MigrationService service;
    private CommandLine commandLine;
    private ConsoleReport report;

    public static void main(String[] args) {
        StartupPrefetch.start(); // first: it overlaps with picocli's set-up below
        RunObserver.LOG_PHASES.phase("main reached");
        // The launcher execs java, so the process started with the launcher: a run's elapsed time
        // then includes the JVM's start, as a stopwatch around the command would.
        Instant started = ProcessHandle.current().info().startInstant().orElseGet(Instant::now);
        int code = run(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8), new PrintWriter(System.err, true, StandardCharsets.UTF_8),
                new QvmToLvm(started));
        System.exit(code);
    }

    /** Runs the tool (for tests and embedding: nothing exits the JVM). */
    public static int run(String[] args, PrintWriter stdout, PrintWriter stderr) {
        return run(args, stdout, stderr, new QvmToLvm());
    }

    /** Runs {@code tool} (tests give it the qubesd socket to probe, or an observer with kill points). */
    static int run(String[] args, PrintWriter stdout, PrintWriter stderr, QvmToLvm tool) {
        CommandLine cl = ToolCommandLine.create(tool);
        cl.setOut(new PrintWriter(new TerminalSafeWriter(stdout), true));
        cl.setErr(new PrintWriter(new TerminalSafeWriter(stderr), true));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            int code;
            String message;
            if (e instanceof ToolException || e instanceof StorageException) {
                code = e instanceof ToolException t ? t.exitCode() : ExitCodes.of((StorageException) e);
                message = e.getMessage();
                err.println("qvm-to-lvm: " + message);
            } else {
                // A bug, not a partial migration: the journal says what was done, so exit 1 would mislead.
                code = ExitCodes.INPUT;
                message = "internal error: " + e;
                err.println("qvm-to-lvm: internal error, please report it with the trace below: " + e);
                e.printStackTrace(err);
            }
            err.flush();
            if (tool.report != null) {
                tool.report.failed(message, code);
            }
            return code;
        });
        return cl.execute(args);
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

    /**
     * @param started  where the elapsed time the summary reports begins
     * @param qubesd   how to tell whether qubesd runs
     * @param observer told of the run's checkpoints and phases (tests: kill points)
     */
    QvmToLvm(Instant started, QubesdGuard qubesd, RunObserver observer) {
        this.started = requireNonNull(started, "started");
        this.observer = requireNonNull(observer, "observer");
        this.service = new MigrationService(qubesd, observer);
    }

    /** Called by {@link ToolCommandLine#create}: where the parsed options come from. */
    void commandLine(CommandLine commandLine) {
        this.commandLine = commandLine;
    }

    @Override
    public Integer call() {
        observer.phase("command line parsed");
        CommandSpec spec = commandLine.getCommandSpec();
        java.io.Console console = System.console();
        Optional<java.io.Console> terminal = console != null && console.isTerminal() ? Optional.of(console) : Optional.empty();
        report = new ConsoleReport(commandLine.getOut(), commandLine.getErr(), ToolCommandLine.flag(spec, "--json"),
                ToolCommandLine.flag(spec, "--yes"), System.err, terminal);
        return service.run(request(spec), report, started);
    }

    /** The request the parsed options in {@code spec} make; refuses options that do not fit together (exit 2). */
    static MigrationRequest request(CommandSpec spec) {
        boolean resume = ToolCommandLine.flag(spec, "--resume");
        boolean rollback = ToolCommandLine.flag(spec, "--rollback");
        if (resume && rollback) {
            throw ToolException.input("--resume and --rollback exclude each other");
        }
        String pool = ToolCommandLine.value(spec, "--pool");
        String vg = ToolCommandLine.value(spec, "--vg");
        String thinPool = ToolCommandLine.value(spec, "--thin-pool");
        String poolName = ToolCommandLine.value(spec, "--pool-name");
        List<String> vms = ToolCommandLine.values(spec, null);
        boolean all = ToolCommandLine.flag(spec, "--all");
        boolean dryRun = ToolCommandLine.flag(spec, "--dry-run");
        boolean removeSource = ToolCommandLine.flag(spec, "--remove-source");
        boolean fsAware = ToolCommandLine.flag(spec, "--fs-aware");
        boolean named = pool != null;
        boolean thin = vg != null || thinPool != null;
        Mode mode;
        if (resume || rollback) {
            if (named || thin || all || !vms.isEmpty() || dryRun || removeSource || fsAware) {
                throw ToolException.input("--resume and --rollback take what to do from the journal; give only --qubes-xml, --journal, --yes, --json");
            }
            mode = resume ? new ResumeRun() : new RollbackRun();
        } else {
            mode = new NewRun(target(pool, vg, thinPool, poolName), vms, all, ToolCommandLine.values(spec, "--exclude"), dryRun,
                    removeSource, fsAware);
        }
        return new MigrationRequest(ToolCommandLine.value(spec, "--qubes-xml"), Optional.ofNullable(ToolCommandLine.<Path>value(spec, "--qubes-dir")),
                Optional.ofNullable(ToolCommandLine.<Path>value(spec, "--journal")), Optional.ofNullable(ToolCommandLine.<Path>value(spec, "--plugins")),
                ToolCommandLine.values(spec, "--running"), mode);
    }

    private static TargetChoice target(String pool, String vg, String thinPool, String poolName) {
        boolean thin = vg != null || thinPool != null;
        if (pool != null && thin) {
            throw ToolException.input("--pool and --vg/--thin-pool conflict: each names a target pool; give one of them");
        }
        if (pool == null && !thin) {
            throw ToolException.input("Name the target: --pool NAME, or --vg VG --thin-pool TP");
        }
        if (thin && (vg == null || thinPool == null)) {
            throw ToolException.input("--vg and --thin-pool go together");
        }
        if (poolName != null && !thin) {
            throw ToolException.input("--pool-name names the pool --vg/--thin-pool adds; with --pool it has no use");
        }
        return pool != null ? new ExistingPool(pool) : new NewThinPool(vg, thinPool, Optional.ofNullable(poolName));
    }
}
