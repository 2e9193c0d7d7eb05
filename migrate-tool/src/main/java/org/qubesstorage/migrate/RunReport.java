package org.qubesstorage.migrate;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What a run of the {@link MigrationService} tells whoever started it: the command line prints it
 * ({@link ConsoleReport}); an application embedding the service may show it otherwise. Called on
 * the thread that called {@link MigrationService#run}, except {@link Progress#advance}, which the
 * copy's worker threads call.
 *
 * <p>A run calls {@link #plan} at most once, then {@link #confirm} if it is about to write, and
 * ends with exactly one of {@link #planned}, {@link #migrated} and {@link #rolledBack}, or with an
 * exception (then none of the three, unless {@link #planned} names the refusal the exception
 * carries).
 */
interface RunReport {
    /** A line for people: a warning, a domain that failed, what a rollback kept. */
    void line(String text);

    /** The plan, as made (a new run) or replayed from the journal ({@code --resume}), before anything is written. */
    void plan(MigrationPlan plan);

    /**
     * Whether to carry out {@code plan}; false changes nothing and ends the run as not confirmed.
     * Throws {@link ToolException} when it cannot ask.
     */
    boolean confirm(MigrationPlan plan);

    /** Where the copies report their progress; the service closes it when the copies end. */
    Progress progress();

    /**
     * The run ends with its plan: a dry run, nothing to migrate, or a plan refused before anything
     * was written ({@code refusal}; an exception with the same message follows).
     */
    void planned(MigrationPlan plan, Optional<String> refusal, int exitCode);

    /**
     * A new or resumed run reached its end (partial or not).
     *
     * @param backup  the copy of the original qubes.xml ({@code --rollback} restores it); none for a legacy file
     * @param elapsed from the run's start, the JVM's start included when the command line gave it
     */
    void migrated(MigrationPlan plan, Migrator.Result result, Duration elapsed, Optional<Path> backup, int exitCode);

    /** A rollback ended. */
    void rolledBack(Rollback.Result result, int exitCode);
}
