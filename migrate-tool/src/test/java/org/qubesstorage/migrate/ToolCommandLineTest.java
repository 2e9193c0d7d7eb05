package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

@DisplayName("The command line")
class ToolCommandLineTest {
    @Test
    @DisplayName("hands every option of a migration to the tool, repeatable ones in order")
    void everyOption() {
        QvmToLvm tool = new QvmToLvm();
        CommandLine cl = ToolCommandLine.create(tool);
        cl.parseArgs("--qubes-xml", "/q/qubes.xml", "--qubes-dir", "/old", "--vg", "qb", "--thin-pool", "tp", "--pool-name", "p",
                "--exclude", "x1", "--exclude=x2", "--running", "r", "--all", "--dry-run", "--json", "--remove-source",
                "--fs-aware", "--yes", "--journal", "/j", "--plugins", "/plug", "work", "personal");
        tool.copyOptions(cl.getCommandSpec());
        assertThat(tool.qubesXml).isEqualTo(Path.of("/q/qubes.xml"));
        assertThat(tool.qubesDir).isEqualTo(Path.of("/old"));
        assertThat(tool.vg).isEqualTo("qb");
        assertThat(tool.thinPool).isEqualTo("tp");
        assertThat(tool.poolName).isEqualTo("p");
        assertThat(tool.pool).isNull();
        assertThat(tool.vms).containsExactly("work", "personal");
        assertThat(tool.exclude).containsExactly("x1", "x2");
        assertThat(tool.running).containsExactly("r");
        assertThat(tool.all && tool.dryRun && tool.json && tool.removeSource && tool.fsAware && tool.yes).isTrue();
        assertThat(tool.resume || tool.rollback).isFalse();
        assertThat(tool.journalPath).isEqualTo(Path.of("/j"));
        assertThat(tool.plugins).isEqualTo(Path.of("/plug"));
    }

    @Test
    @DisplayName("defaults: /var/lib/qubes/qubes.xml, no flags, empty lists")
    void defaults() {
        QvmToLvm tool = new QvmToLvm();
        CommandLine cl = ToolCommandLine.create(tool);
        cl.parseArgs("--resume");
        tool.copyOptions(cl.getCommandSpec());
        assertThat(tool.qubesXml).isEqualTo(Path.of("/var/lib/qubes/qubes.xml"));
        assertThat(tool.resume).isTrue();
        assertThat(tool.vms).isEmpty();
        assertThat(tool.exclude).isEmpty();
        assertThat(tool.running).isEmpty();
        assertThat(tool.all || tool.dryRun || tool.yes).isFalse();
        assertThat(tool.journalPath).isNull();
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
