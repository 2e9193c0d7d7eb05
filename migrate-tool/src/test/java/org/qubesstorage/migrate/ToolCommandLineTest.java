package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

@DisplayName("The command line")
class ToolCommandLineTest {
    @Test
    @DisplayName("hands every option of a migration to the request, repeatable ones in order")
    void everyOption() {
        CommandLine cl = ToolCommandLine.create(new QvmToLvm());
        cl.parseArgs("--qubes-xml", "/q/qubes.xml", "--qubes-dir", "/old", "--vg", "qb", "--thin-pool", "tp", "--pool-name", "p",
                "--exclude", "x1", "--exclude=x2", "--running", "r", "--all", "--dry-run", "--json", "--remove-source",
                "--fs-aware", "--yes", "--journal", "/j", "--plugins", "/plug", "work", "personal");
        MigrationRequest request = QvmToLvm.request(cl.getCommandSpec());
        assertThat(request.qubesXml()).isEqualTo(Path.of("/q/qubes.xml"));
        assertThat(request.qubesDir()).contains(Path.of("/old"));
        assertThat(request.running()).containsExactly("r");
        assertThat(request.journalFile()).isEqualTo(Path.of("/j"));
        assertThat(request.plugins()).contains(Path.of("/plug"));
        assertThat(request.mode()).isEqualTo(new MigrationRequest.NewRun(
                new MigrationRequest.NewThinPool("qb", "tp", Optional.of("p")), List.of("work", "personal"), true, List.of("x1", "x2"),
                true, true, true));
        assertThat(ToolCommandLine.flag(cl.getCommandSpec(), "--json") && ToolCommandLine.flag(cl.getCommandSpec(), "--yes")).isTrue();
        cl.parseArgs("--pool", "target", "work");
        assertThat(((MigrationRequest.NewRun) QvmToLvm.request(cl.getCommandSpec()).mode()).target())
                .isEqualTo(new MigrationRequest.ExistingPool("target"));
    }

    @Test
    @DisplayName("defaults: /var/lib/qubes/qubes.xml, the journal beside it, empty lists; --resume and --rollback take no target")
    void defaults() {
        CommandLine cl = ToolCommandLine.create(new QvmToLvm());
        cl.parseArgs("--resume");
        MigrationRequest request = QvmToLvm.request(cl.getCommandSpec());
        assertThat(request.qubesXml()).isEqualTo(Path.of("/var/lib/qubes/qubes.xml"));
        assertThat(request.journalFile()).isEqualTo(Path.of("/var/lib/qubes/qvm-to-lvm.journal"));
        assertThat(request.qubesDir()).isEmpty();
        assertThat(request.running()).isEmpty();
        assertThat(request.mode()).isInstanceOf(MigrationRequest.ResumeRun.class);
        cl.parseArgs("--rollback");
        assertThat(QvmToLvm.request(cl.getCommandSpec()).mode()).isInstanceOf(MigrationRequest.RollbackRun.class);
        cl.parseArgs("--rollback", "--pool", "p");
        assertThatThrownBy(() -> QvmToLvm.request(cl.getCommandSpec())).isInstanceOf(ToolException.class)
                .hasMessageContaining("take what to do from the journal");
    }

    @Test
    @DisplayName("--help and --version exit 0; an unknown option or a missing value exits 2 and says which")
    void helpVersionAndUsageErrors() {
        assertThat(run("--help")).startsWith("0 ").contains("Usage: qvm-to-lvm").contains("--fs-aware");
        assertThat(run("--version")).startsWith("0 ").contains(ToolCommandLine.VERSION);
        assertThat(run("--bogus")).startsWith("2 ").contains("Unknown option: '--bogus'");
        assertThat(run("--pool")).startsWith("2 ").contains("Missing required parameter for option '--pool'");
    }

    @Test
    @DisplayName("the tool's own usage checks still run after parsing")
    void toolUsageChecks() {
        assertThat(run("--qubes-xml", "/nonexistent/qubes.xml", "--pool", "p", "--vg", "v", "--all"))
                .startsWith("2 ").contains("--pool and --vg/--thin-pool conflict");
        assertThat(run("--qubes-xml", "/nonexistent/qubes.xml", "--all")).startsWith("2 ").contains("Name the target");
    }

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = QvmToLvm.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return code + " " + out + err;
    }
}
