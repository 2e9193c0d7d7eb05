package org.qubesstorage.migrate;

import static java.util.Objects.requireNonNull;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.qubesstorage.migrate.json.OutputDocuments;
import org.qubesstorage.migrate.json.Wire;

/**
 * The command line's {@link RunReport}. With {@code --json} the one JSON document is the only thing
 * on stdout and everything for people goes to stderr; otherwise people read stdout. Progress goes
 * to {@code progress} (stderr): live bars on a terminal, plain lines otherwise.
 */
final class ConsoleReport implements RunReport {
    private final PrintWriter stdout;
    private final PrintWriter stderr;
    private final boolean json;
    private final boolean yes;
    private final PrintStream progress;
    private final Optional<java.io.Console> terminal;
    private boolean documentWritten;

    /**
     * @param yes      {@code --yes}: carry the plan out without asking
     * @param terminal the terminal to ask on and draw bars on; empty when not on one
     */
    ConsoleReport(PrintWriter stdout, PrintWriter stderr, boolean json, boolean yes, PrintStream progress,
            Optional<java.io.Console> terminal) {
        this.stdout = requireNonNull(stdout, "stdout");
        this.stderr = requireNonNull(stderr, "stderr");
        this.json = json;
        this.yes = yes;
        this.progress = requireNonNull(progress, "progress");
        this.terminal = requireNonNull(terminal, "terminal");
    }

    /** The writer people read. */
    PrintWriter human() {
        return json ? stderr : stdout;
    }

    /** Whether the run's JSON document is on stdout already (a failure after it adds none). */
    boolean documentWritten() {
        return documentWritten;
    }

    @Override
    public void line(String text) {
        human().println(text);
    }

    @Override
    public void plan(MigrationPlan plan) {
        Reports.plan(human(), plan);
    }

    @Override
    public boolean confirm(MigrationPlan plan) {
        if (yes) {
            return true;
        }
        java.io.Console console = terminal.orElseThrow(
                () -> ToolException.input("Not on a terminal: add --yes to proceed without the confirmation prompt"));
        String answer = console.readLine("Proceed? [y/N] ");
        return answer != null && (answer.strip().equalsIgnoreCase("y") || answer.strip().equalsIgnoreCase("yes"));
    }

    @Override
    public Progress progress() {
        return Progress.forStream(progress, terminal.isPresent() && !json);
    }

    @Override
    public void planned(MigrationPlan plan, Optional<String> refusal, int exitCode) {
        if (refusal.isEmpty() && plan.migrating().isEmpty()) {
            human().println(exitCode == ExitCodes.REFUSED ? "Nothing can be migrated now." : "Nothing to migrate.");
        }
        document(new OutputDocuments.Planned(WireFormat.plan(plan), refusal.orElse(null), exitCode));
    }

    @Override
    public void migrated(MigrationPlan plan, Migrator.Result result, Duration elapsed, Optional<Path> backup, int exitCode) {
        Reports.summary(human(), result);
        Reports.elapsed(human(), elapsed.toMillis(), result);
        Reports.legacyEntries(human(), result.legacyEntries());
        backup.ifPresent(b -> human().println("The original qubes.xml is kept as " + b + "; undo with --rollback."));
        document(new OutputDocuments.Migrated(WireFormat.plan(plan), WireFormat.result(result), elapsed.toMillis(), exitCode));
    }

    @Override
    public void rolledBack(Rollback.Result r, int exitCode) {
        r.restored().forEach(d -> human().println("  " + d + ": restored"));
        r.kept().forEach((d, why) -> human().println("  " + d + ": kept as migrated - " + why));
        r.removedVolumes().forEach(v -> human().println("  removed " + v));
        document(WireFormat.rolledBack(r, exitCode));
    }

    /** With {@code --json}, a run that failed still puts one JSON object on stdout. */
    void failed(String message, int exitCode) {
        if (!documentWritten) {
            document(new OutputDocuments.Failed(message, exitCode));
        }
    }

    private void document(Object doc) {
        if (json) {
            stdout.println(Wire.document(doc));
            stdout.flush();
            documentWritten = true;
        }
    }
}
