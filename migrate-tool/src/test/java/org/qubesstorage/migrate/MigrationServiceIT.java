package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.console.QubesdGuard;
import org.qubesstorage.migrate.MigrationRequest.ExistingPool;
import org.qubesstorage.migrate.MigrationRequest.NewRun;
import org.qubesstorage.migrate.MigrationRequest.RollbackRun;
import org.qubesstorage.tck.sample.SampleInstallation;
import org.qubesstorage.xml.QubesXmlFile;

/**
 * The migration service without its command line, as an application embedding it would use it:
 * a request in, what happened out through a {@link RunReport} of the test's own (real files, a
 * {@code file-reflink} target on the host).
 */
@DisplayName("The migration service, embedded (host)")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MigrationServiceIT {
    private Path pristine;

    @TempDir
    Path temp;

    @BeforeAll
    void build() throws Exception {
        pristine = Files.createTempDirectory("qvm-to-lvm-service-");
        Path xml = SampleInstallation.build(pristine, 16);
        Path dir = Files.createDirectories(pristine.resolve("target-pool"));
        QubesXmlFile file = QubesXmlFile.load(xml);
        file.save(file.document().withPool(Map.of("name", "target", "driver", "file-reflink", "dir_path", dir.toString())),
                Optional.empty());
    }

    @AfterAll
    void remove() throws Exception {
        SampleInstallation.deleteTree(pristine);
    }

    /** Records the calls in order; answers {@link #confirm} with what it was given. */
    private static final class RecordingReport implements RunReport {
        final List<String> calls = new ArrayList<>();
        final boolean answer;
        Migrator.Result result;
        Rollback.Result rollback;

        RecordingReport(boolean answer) {
            this.answer = answer;
        }

        @Override
        public void line(String text) {
            calls.add("line " + text);
        }

        @Override
        public void plan(MigrationPlan plan) {
            calls.add("plan " + plan.migrating().size());
        }

        @Override
        public boolean confirm(MigrationPlan plan) {
            calls.add("confirm");
            return answer;
        }

        @Override
        public Progress progress() {
            calls.add("progress");
            return Progress.forStream(System.err, false);
        }

        @Override
        public void planned(MigrationPlan plan, Optional<String> refusal, int exitCode) {
            calls.add("planned " + refusal.isPresent() + " " + exitCode);
        }

        @Override
        public void migrated(MigrationPlan plan, Migrator.Result r, Duration elapsed, Optional<Path> backup, int exitCode) {
            calls.add("migrated " + backup.isPresent() + " " + exitCode);
            result = r;
        }

        @Override
        public void rolledBack(Rollback.Result r, int exitCode) {
            calls.add("rolledBack " + exitCode);
            rollback = r;
        }
    }

    private static MigrationRequest request(Path xml, MigrationRequest.Mode mode) {
        return new MigrationRequest(xml, Optional.empty(), Optional.empty(), Optional.empty(), List.of(), mode);
    }

    private static NewRun newRun(boolean dryRun) {
        return new NewRun(new ExistingPool("target"), List.of("work"), false, List.of(), dryRun, false, false);
    }

    private static MigrationService service() {
        return new MigrationService(new QubesdGuard(Path.of("/nonexistent/qubesd.sock")), RunObserver.LOG_PHASES);
    }

    @Test
    @DisplayName("a dry run reports the plan and ends with it; nothing asks, nothing is written")
    void dryRun() throws Exception {
        Path xml = Installations.copy(pristine, temp.resolve("dry"));
        byte[] before = Files.readAllBytes(xml);
        RecordingReport report = new RecordingReport(true);
        assertThat(service().run(request(xml, newRun(true)), report, Instant.now())).isEqualTo(ExitCodes.DONE);
        assertThat(report.calls).containsExactly("plan 1", "planned false 0");
        assertThat(Files.readAllBytes(xml)).isEqualTo(before);
    }

    @Test
    @DisplayName("a plan the report does not confirm changes nothing: no journal, no backup, qubes.xml as it was")
    void notConfirmed() throws Exception {
        Path xml = Installations.copy(pristine, temp.resolve("no"));
        byte[] before = Files.readAllBytes(xml);
        List<String> listing = MigrationScenarios.listing(xml.getParent());
        RecordingReport report = new RecordingReport(false);
        assertThatThrownBy(() -> service().run(request(xml, newRun(false)), report, Instant.now()))
                .isInstanceOf(ToolException.class).hasMessage("Not confirmed; nothing was changed");
        assertThat(report.calls).containsExactly("plan 1", "confirm");
        assertThat(Files.readAllBytes(xml)).isEqualTo(before);
        assertThat(MigrationScenarios.listing(xml.getParent())).isEqualTo(listing);
    }

    @Test
    @DisplayName("a confirmed run reports plan, confirm, progress and its result; its rollback reports what it restored")
    void runAndRollback() throws Exception {
        Path xml = Installations.copy(pristine, temp.resolve("run"));
        byte[] before = Files.readAllBytes(xml);
        RecordingReport report = new RecordingReport(true);
        assertThat(service().run(request(xml, newRun(false)), report, Instant.now())).isEqualTo(ExitCodes.DONE);
        assertThat(report.calls).containsExactly("plan 1", "confirm", "progress", "migrated true 0");
        assertThat(report.result.domains()).extracting(Migrator.DomainOutcome::outcome).containsExactly(Outcome.MIGRATED);
        assertThat(Files.readString(xml)).contains("pool=\"target\"");

        RecordingReport undo = new RecordingReport(true);
        assertThat(service().run(request(xml, new RollbackRun()), undo, Instant.now())).isEqualTo(ExitCodes.DONE);
        assertThat(undo.calls).last().isEqualTo("rolledBack 0");
        assertThat(undo.rollback.restored()).containsExactly("work");
        assertThat(Files.readAllBytes(xml)).isEqualTo(before);
    }
}
