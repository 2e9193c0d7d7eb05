package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The migration journal")
class JournalTest {
    @TempDir
    Path dir;

    private static MigrationPlan plan() {
        return plan(List.of());
    }

    private static MigrationPlan plan(List<MigrationPlan.DomainPlan> domains) {
        return new MigrationPlan(org.qubesstorage.xml.QubesXml.Format.R4, "/x/qubes.xml", "abc", "vm-pool", null, domains,
                new MigrationPlan.SpaceCheck(0, 0, null, null, null, null));
    }

    /** A qubes.xml stand-in with a mode the umask would not give (0640). */
    private static Path qubesXml(Path dir) throws IOException {
        Path x = dir.resolve("qubes.xml");
        if (!Files.exists(x)) {
            Files.writeString(x, "<qubes/>");
            Files.setPosixFilePermissions(x, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        }
        return x;
    }

    @Test
    @DisplayName("a journal written before the plan's enums (format, volume type) reads and replays, and writes back the same JSON")
    void journalBeforeEnumsReplays() throws Exception {
        Path p = dir.resolve("old.journal");
        try (var in = getClass().getResourceAsStream("/journal/before-enums.journal")) {
            Files.write(p, in.readAllBytes());
        }
        List<Journal.Entry> entries = Journal.read(p);
        MigrationPlan plan = entries.getFirst().plan();
        assertThat(plan.format()).isEqualTo(org.qubesstorage.xml.QubesXml.Format.R4);
        assertThat(plan.domains().getFirst().volumes()).extracting(MigrationPlan.VolumePlan::type)
                .containsExactly(org.qubesstorage.spi.VolumeType.SNAPSHOT, org.qubesstorage.spi.VolumeType.ORIGIN,
                        org.qubesstorage.spi.VolumeType.VOLATILE);
        JournalState state = JournalState.replay(entries, p);
        assertThat(state.done()).isTrue();
        List<String> lines = Files.readAllLines(p);
        for (int i = 0; i < entries.size(); i++) {
            assertThat(org.qubesstorage.migrate.json.Wire.tree(org.qubesstorage.migrate.json.Wire.line(WireFormat.line(entries.get(i)))))
                    .as("line %d written back", i + 1).isEqualTo(org.qubesstorage.migrate.json.Wire.tree(lines.get(i)));
        }
    }

    @Test
    @DisplayName("a new journal takes its qubes.xml's mode, not the umask's")
    void journalMode() throws IOException {
        Path p = dir.resolve("j");
        try (Journal j = Journal.open(p, qubesXml(dir))) {
            j.append(Journal.Entry.of(JournalStep.RESUME));
        }
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-r-----");
    }

    @Test
    @DisplayName("a journal of one complete garbage line is damaged, not empty; only an unterminated last line is a torn write")
    void garbageIsNotEmpty() throws IOException {
        Path p = dir.resolve("j");
        Files.writeString(p, "this is not a journal\n");
        assertThatThrownBy(() -> Journal.read(p)).isInstanceOf(ToolException.class).hasMessageContaining("line 1 is damaged");
        Files.writeString(p, "{\"type\":\"run\"");
        assertThat(Journal.read(p)).isEmpty();
    }

    @Test
    @DisplayName("replays what each step reached; a line torn by a kill is ignored")
    void replay() throws IOException {
        Path p = dir.resolve("j");
        try (Journal j = Journal.open(p, qubesXml(dir))) {
            j.append(new Journal.Entry(JournalStep.RUN, "t", null, null, null, null, 7L, plan(), "/x/b.bak", true, false, null));
            j.append(Journal.Entry.of(JournalStep.IMPORT_STARTED).domain("work").volume("private"));
            j.append(Journal.Entry.of(JournalStep.COMMITTED).domain("work").volume("private")
                    .result(new VolumeResult("work", "private", 10, 5, 5, 1, 0, "xxh3-128:00", "ALL_DATA", null)));
            j.append(Journal.Entry.of(JournalStep.XML_SAVING).domain("work").sha256("feed"));
            j.append(Journal.Entry.of(JournalStep.IMPORT_STARTED).domain("sys").volume("root"));
        }
        Files.writeString(p, "{\"type\":\"committed\",\"dom", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        JournalState s = JournalState.replay(Journal.read(p), p);
        assertThat(s.plan()).isEqualTo(plan());
        assertThat(s.removeSource()).isTrue();
        assertThat(s.pids()).containsExactly(7L);
        assertThat(s.started()).containsExactlyInAnyOrder("work/private", "sys/root");
        assertThat(s.committed()).containsOnlyKeys("work/private");
        assertThat(s.saving()).isEqualTo(Map.of("work", "feed"));
        assertThat(s.saved()).isEmpty();
        assertThat(s.lastWrittenSha()).contains("feed");
        assertThat(s.finished()).isFalse();
    }

    @Test
    @DisplayName("a damaged line before the last one is refused with its line number; a second run cannot take the lock")
    void damaged() throws IOException {
        Path p = dir.resolve("j");
        try (Journal j = Journal.open(p, qubesXml(dir))) {
            j.append(new Journal.Entry(JournalStep.RUN, "t", null, null, null, null, 7L, plan(), null, false, false, null));
            assertThatThrownBy(() -> Journal.open(p, qubesXml(dir))).isInstanceOf(ToolException.class).hasMessageContaining("Another qvm-to-lvm run");
        }
        Files.writeString(p, "garbage\n{\"type\":\"done\"}\n", StandardOpenOption.APPEND);
        assertThatThrownBy(() -> Journal.read(p)).isInstanceOf(ToolException.class).hasMessageContaining("line 2 is damaged");
    }

    @Test
    @DisplayName("a journal written before 2026-12-03 (\"template\": true/false) still replays; the field is informational")
    void olderTemplateField() throws IOException {
        MigrationPlan.DomainPlan work = new MigrationPlan.DomainPlan("work", "AppVM", "debian-12",
                MigrationPlan.Status.MIGRATE, null, List.of(), List.of());
        MigrationPlan.DomainPlan tpl = new MigrationPlan.DomainPlan("debian-12", "TemplateVM", null,
                MigrationPlan.Status.MIGRATE, null, List.of(), List.of());
        String line = org.qubesstorage.migrate.json.Wire.line(WireFormat.line(
                new Journal.Entry(JournalStep.RUN, "t", null, null, null, null, 7L, plan(List.of(tpl, work)), null, false, false, null)));
        assertThat(line).contains("\"template\":\"debian-12\"").doesNotContain("\"template\":true");
        // What the older builds wrote: the TemplateVM test as "template", no template name.
        String older = line.replace("\"template\":\"debian-12\"", "\"template\":false")
                .replace("\"klass\":\"TemplateVM\"", "\"klass\":\"TemplateVM\",\"template\":true");
        Path p = dir.resolve("j");
        Files.writeString(p, older + "\n", StandardCharsets.UTF_8);
        MigrationPlan replayed = JournalState.replay(Journal.read(p), p).plan();
        assertThat(replayed.domains()).extracting(MigrationPlan.DomainPlan::name).containsExactly("debian-12", "work");
        assertThat(replayed.domains()).extracting(MigrationPlan.DomainPlan::isTemplateVm).containsExactly(true, false);
        assertThat(replayed.domains()).extracting(MigrationPlan.DomainPlan::status)
                .containsOnly(MigrationPlan.Status.MIGRATE);
    }

    @Test
    @DisplayName("a line naming a step or a plan value this build does not know is refused with its line number, not replayed as another")
    void unknownValues() throws IOException {
        String run = org.qubesstorage.migrate.json.Wire.line(WireFormat.line(
                new Journal.Entry(JournalStep.RUN, "t", null, null, null, null, 7L, plan(), null, false, false, null)));
        assertThat(run).contains("\"format\":\"R4\"");
        Path p = dir.resolve("j");
        Files.writeString(p, run + "\n{\"type\":\"vanished\"}\n");
        assertThatThrownBy(() -> Journal.read(p)).isInstanceOf(ToolException.class)
                .hasMessageContaining("line 2 records a step this build does not know (vanished)");
        Files.writeString(p, run.replace("\"format\":\"R4\"", "\"format\":\"R5\"") + "\n");
        assertThatThrownBy(() -> Journal.read(p)).isInstanceOf(ToolException.class)
                .hasMessageContaining("line 1: unknown format R5 in the plan");
        Files.writeString(p, run + " {}\n");
        assertThatThrownBy(() -> Journal.read(p)).isInstanceOf(ToolException.class).hasMessageContaining("line 1 is damaged");
    }
}
