package org.qubesstorage.migrate;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The tool's command line ({@code qvm-to-lvm}), declared through
 * picocli's programmatic API instead of annotations on the command classes.
 *
 * <p>Why: from annotations picocli builds its model by reflection, and the JDK implements each
 * annotation instance as a dynamic proxy class generated at run time, which no AOT cache holds;
 * the fields are then read and written through method handles spun on first use. That set-up is
 * paid by every run of a short-lived tool (the figures are in {@code bench/HISTORY.md}).
 *
 * <p>Options are looked up by name ({@link #value}); {@link QvmToLvm} turns them into a
 * {@link MigrationRequest} when picocli calls it.
 */
final class ToolCommandLine {
    static final String VERSION = "qvm-to-lvm 0.1.0 (qubes-storage-java)";

    private ToolCommandLine() {}

    /** The whole command line; picocli calls {@code tool}. */
    static CommandLine create(QvmToLvm tool) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(tool).name("qvm-to-lvm").version(VERSION);
        spec.usageMessage().sortOptions(false).description(
                "Moves qubes' volumes into an LVM thin pool (or any pool) without ever losing data:",
                "plans, copies with the sparse copy engine, verifies by hashing, then switches each domain in qubes.xml.",
                ExitCodes.HELP);
        spec.addOption(valued("--qubes-xml", "PATH", Path.class,
                "The qubes.xml to migrate (default: ${DEFAULT-VALUE}); R4, or R2/R3 (read only).")
                .defaultValue("/var/lib/qubes/qubes.xml").build());
        spec.addOption(valued("--qubes-dir", "DIR", Path.class,
                "Where the recorded /var/lib/qubes lives now (an old disk, a restored backup); default: the file's directory.").build());
        spec.addOption(valued("--pool", "NAME", String.class, "The target: a pool already in qubes.xml.").build());
        spec.addOption(valued("--vg", "VG", String.class, "The target: an existing thin pool in volume group VG (with --thin-pool)...").build());
        spec.addOption(valued("--thin-pool", "TP", String.class, "... named TP, added to qubes.xml as an lvm_thin pool.").build());
        spec.addOption(valued("--pool-name", "NAME", String.class, "The name of the pool --vg/--thin-pool adds (default vm-pool).").build());
        spec.addPositional(PositionalParamSpec.builder().paramLabel("VM").arity("0..*").type(List.class).auxiliaryTypes(String.class)
                .description("The domains to migrate (templates move first).").build());
        spec.addOption(flag("--all", "Migrate every domain."));
        spec.addOption(repeated("--exclude", "Leave this domain out (repeatable)."));
        spec.addOption(repeated("--running", "Treat this domain as running: it is skipped (repeatable)."));
        spec.addOption(flag("--dry-run", "Print the plan; change nothing."));
        spec.addOption(flag("--json", "The plan or result as JSON on stdout; human text goes to stderr."));
        spec.addOption(flag("--resume", "Continue the run the journal describes (after a crash or kill)."));
        spec.addOption(flag("--rollback", "Undo the run the journal describes: restore qubes.xml, remove the new volumes."));
        spec.addOption(flag("--remove-source", "Delete each old image once its copy is verified and its domain switched."));
        spec.addOption(flag("--fs-aware", "Copy only blocks an ext4 file system uses (free blocks become zeros); "
                + "falls back to a full copy, saying why, for anything else."));
        spec.addOption(flag("--yes", "Do not ask for confirmation."));
        spec.addOption(valued("--journal", "PATH", Path.class, "The journal (default: qvm-to-lvm.journal beside qubes.xml).").build());
        spec.addOption(valued("--plugins", "DIR", Path.class, "A directory of pool driver plugins.").build());
        addHelpOptions(spec);

        CommandLine line = new CommandLine(spec);
        tool.commandLine(line);
        return line;
    }

    /** The option's value as parsed: its default, or null, when it was not given. */
    @SuppressWarnings("unchecked")
    static <T> T value(CommandSpec spec, String option) {
        OptionSpec o = spec.findOption(option);
        if (o == null) {
            throw new IllegalArgumentException("no option " + option); // a typo in this package, never user input
        }
        return (T) o.getValue();
    }

    /** A flag's value: whether it was given. */
    static boolean flag(CommandSpec spec, String option) {
        return Boolean.TRUE.equals(value(spec, option));
    }

    /** A repeatable option's values, or the positional parameters' ({@code option} null), in order; empty when none. */
    static List<String> values(CommandSpec spec, String option) {
        List<String> v = option == null ? spec.positionalParameters().getFirst().getValue() : value(spec, option);
        return v == null ? new ArrayList<>() : new ArrayList<>(v);
    }

    private static OptionSpec.Builder valued(String name, String label, Class<?> type, String description) {
        return OptionSpec.builder(name).paramLabel(label).type(type).description(description);
    }

    private static OptionSpec flag(String name, String description) {
        return OptionSpec.builder(name).arity("0").type(boolean.class).description(description).build();
    }

    private static OptionSpec repeated(String name, String description) {
        return OptionSpec.builder(name).paramLabel("VM").type(List.class).auxiliaryTypes(String.class).description(description).build();
    }

    /** -h/--help and -V/--version, as picocli's standard help mixin declares them (which it does through annotations). */
    private static void addHelpOptions(CommandSpec spec) {
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
                .description("Print version information and exit.").build());
    }
}
