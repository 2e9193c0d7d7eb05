package org.qubesstorage.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import org.qubesstorage.console.ExitStatus;
import org.qubesstorage.console.QubesdGuard;
import org.qubesstorage.console.TerminalSafeWriter;
import org.qubesstorage.facade.DomainStorage;
import org.qubesstorage.facade.RunningState;
import org.qubesstorage.facade.StorageHost;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.host.LoadProblem;
import org.qubesstorage.host.PoolRegistry;
import org.qubesstorage.spi.DriverParameter;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.wiring.Bootstrap;
import org.qubesstorage.xml.DomainEntry;
import org.qubesstorage.xml.QubesXml;
import org.qubesstorage.xml.QubesXmlFile;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code qubes-storage}: views of the storage framework, like {@code qvm-pool drivers},
 * {@code qvm-pool list} and {@code qvm-volume list}, what each volume really costs ({@code usage})
 * and offline deduplication ({@code dedup}: it changes only which blocks share storage, never any
 * content); {@code start} and {@code stop} run a domain's volumes without the qube.
 *
 * <p>The command line is declared through picocli's programmatic API, as {@code qvm-to-lvm}'s is:
 * annotations make picocli build its model by reflection over run-time generated proxies, which a
 * short-lived tool pays for at every start.
 */
public final class QubesStorageCli {
    static final String VERSION = "qubes-storage 0.1.0 (qubes-storage-java)";
    private static final String HELP = "Exit codes: 0 done, 2 bad usage or input, 3 out of space,"
            + " 4 backend failure (a storage command or the disk failed).";

    private QubesStorageCli() {}

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, out, err, QubesdGuard.system());
    }

    /** {@link #run(String[], PrintWriter, PrintWriter)} with {@code qubesd} telling whether qubesd runs (a test's socket). */
    static int run(String[] args, PrintWriter out, PrintWriter err, QubesdGuard qubesd) {
        CommandLine cl = create(qubesd);
        cl.setOut(new PrintWriter(new TerminalSafeWriter(out), true));
        cl.setErr(new PrintWriter(new TerminalSafeWriter(err), true));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof StorageException se) {
                cmd.getErr().println("qubes-storage: " + se.getMessage());
                return ExitStatus.of(se);
            }
            cmd.getErr().println("qubes-storage: internal error, please report it with the trace below: " + e);
            e.printStackTrace(cmd.getErr());
            return ExitStatus.INPUT;
        });
        return cl.execute(args);
    }

    /**
     * The whole command line: {@code drivers}, {@code pools}, {@code volumes}, {@code usage},
     * {@code dedup}, {@code start} and {@code stop}.
     */
    static CommandLine create(QubesdGuard qubesd) {
        Subcommand top = new Subcommand(spec -> {
            spec.commandLine().getErr().println("qubes-storage: name a subcommand: drivers, pools, volumes, usage, dedup, start or stop");
            spec.commandLine().usage(spec.commandLine().getErr());
            return ExitStatus.INPUT;
        });
        CommandSpec spec = top.spec("qubes-storage", "Shows pool drivers, the pools and the volumes of a qubes.xml and what they"
                + " cost; deduplicates a pool's stopped volumes; starts and stops a domain's volumes.");
        CommandLine line = new CommandLine(spec);
        line.addSubcommand("drivers", new CommandLine(withPlugins(new Subcommand(QubesStorageCli::drivers)
                .spec("drivers", "Lists pool drivers and their parameters (* = required)."))));
        line.addSubcommand("pools", new CommandLine(withXml(new Subcommand(QubesStorageCli::pools)
                .spec("pools", "Lists the pools of a qubes.xml with driver, usage and load problems."))));
        line.addSubcommand("volumes", new CommandLine(withXml(new Subcommand(QubesStorageCli::volumes)
                .spec("volumes", "Lists every domain's volumes as the facade resolves them (pool, vid, type, size)."))));
        line.addSubcommand("usage", new CommandLine(UsageCommand.spec()));
        line.addSubcommand("dedup", new CommandLine(DedupCommand.spec()));
        line.addSubcommand("start", new CommandLine(DomainRunCommand.startSpec(qubesd)));
        line.addSubcommand("stop", new CommandLine(DomainRunCommand.stopSpec(qubesd)));
        return line;
    }

    /** A (sub)command whose body reads its options from the spec picocli filled. */
    static final class Subcommand implements Callable<Integer> {
        private final ToIntFunction<CommandSpec> body;
        private CommandSpec spec;

        Subcommand(ToIntFunction<CommandSpec> body) {
            this.body = body;
        }

        CommandSpec spec(String name, String description) {
            spec = CommandSpec.wrapWithoutInspection(this).name(name).version(VERSION);
            spec.usageMessage().sortOptions(false).description(description, HELP);
            spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build());
            spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).description("Print version information and exit.").build());
            return spec;
        }

        @Override
        public Integer call() {
            return body.applyAsInt(spec);
        }
    }

    static CommandSpec withPlugins(CommandSpec spec) {
        spec.addOption(OptionSpec.builder("--plugins").paramLabel("DIR").type(Path.class)
                .description("A directory of pool driver plugins.").build());
        return spec;
    }

    static CommandSpec withXml(CommandSpec spec) {
        withPlugins(spec);
        spec.addOption(OptionSpec.builder("--qubes-xml").paramLabel("PATH").type(Path.class).defaultValue("/var/lib/qubes/qubes.xml")
                .description("The qubes.xml to read (default: ${DEFAULT-VALUE}).").build());
        return spec;
    }

    /** Whether flag {@code name} was given (picocli leaves an absent flag null). */
    static boolean flag(CommandSpec spec, String name) {
        return Boolean.TRUE.equals(spec.findOption(name).getValue());
    }

    static DriverRegistry registry(CommandSpec spec) {
        Path plugins = spec.findOption("--plugins").getValue();
        return DriverRegistry.load(QubesStorageCli.class.getClassLoader(), Optional.ofNullable(plugins));
    }

    static QubesXmlFile qubesXml(CommandSpec spec) {
        Path path = spec.findOption("--qubes-xml").getValue();
        return QubesXmlFile.load(path);
    }

    private static int drivers(CommandSpec spec) {
        DriverRegistry registry = registry(spec);
        PrintWriter out = spec.commandLine().getOut();
        out.print(registry.listing());
        for (var d : registry.drivers().values()) {
            out.println();
            out.println(d.driver().name() + " (" + d.origin() + ", SPI " + d.driver().spiVersion() + ")");
            for (DriverParameter p : d.driver().parameters()) {
                out.printf("  %-20s %s%s%s%n", p.name(), p.required() ? "[required] " : "",
                        p.defaultValue().map(v -> "[default " + v + "] ").orElse(""), p.description());
            }
        }
        for (LoadProblem p : registry.problems()) {
            spec.commandLine().getErr().println(p);
        }
        return ExitStatus.OK;
    }

    private static int pools(CommandSpec spec) {
        DriverRegistry registry = registry(spec);
        Bootstrap storage = Bootstrap.load(qubesXml(spec), registry, HostDriverContext.system());
        PoolRegistry pools = storage.pools();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-20s %-14s %s%n", "NAME", "DRIVER", "CONFIG");
        for (Map<String, String> p : storage.file().document().model().pools()) {
            String name = p.get("name");
            Optional<Pool> loaded = pools.find(name);
            out.printf("%-20s %-14s %s%s%n", name, p.get("driver"), masked(p, registry), loaded.isPresent() ? "" : "  (not loaded)");
        }
        pools.problems().forEach(spec.commandLine().getErr()::println);
        return ExitStatus.OK;
    }

    /** A pool's attributes with the values of parameters its driver declares sensitive masked. */
    static Map<String, String> masked(Map<String, String> attrs, DriverRegistry registry) {
        Map<String, String> out = new LinkedHashMap<>(attrs);
        registry.find(attrs.getOrDefault("driver", "")).ifPresent(d -> {
            for (DriverParameter p : d.parameters()) {
                if (p.sensitive() && out.containsKey(p.name())) {
                    out.put(p.name(), "****");
                }
            }
        });
        return out;
    }

    /** The bytes a volume's committed state holds itself (a layer: only its own changes), or "-" where unknown. */
    private static String held(Volume v) {
        try {
            return v.usage().isPresent() ? Long.toString(v.usage().getAsLong()) : "-";
        } catch (StorageException e) {
            return "-"; // no data yet, or unreadable: the listing goes on
        }
    }

    /** For a layer: the revision it sits on, and whether its parent committed since. */
    private static String sitsOn(Volume v) {
        return v.layer().map(l -> l.parentVid() + "@" + l.parentRevision() + (l.behind() ? " (behind)" : "")).orElse("");
    }

    private static int volumes(CommandSpec spec) {
        QubesXmlFile file = qubesXml(spec);
        QubesXml model = file.document().model();
        PrintWriter out = spec.commandLine().getOut();
        if (model.format() == QubesXml.Format.LEGACY_R2_R3) {
            out.printf("%-24s %-13s %-9s %s%n", "DOMAIN", "CLASS", "VOLUME", "IMAGE");
            for (DomainEntry d : model.domains()) {
                d.images().forEach((v, img) -> out.printf("%-24s %-13s %-9s %s%n", d.name(), d.klass(), v, img));
            }
            return ExitStatus.OK;
        }
        StorageHost host = Bootstrap.load(file, registry(spec), HostDriverContext.system()).host(new RunningState(Path.of("/run/qubes")));
        out.printf("%-24s %-9s %-14s %-40s %-9s %12s %12s  %s%n", "DOMAIN", "VOLUME", "POOL", "VID", "TYPE", "SIZE", "HOLDS",
                "SITS ON");
        int status = ExitStatus.OK;
        for (DomainEntry d : model.domains()) {
            try {
                DomainStorage ds = host.domain(d.name());
                for (Volume v : ds.volumes().values()) {
                    out.printf("%-24s %-9s %-14s %-40s %-9s %12d %12s  %s%n", d.name(), v.name(), v.pool().name(), v.vid(),
                            v.type().name().toLowerCase(Locale.ROOT), v.config().size(), held(v), sitsOn(v));
                }
            } catch (StorageException e) {
                spec.commandLine().getErr().println("qubes-storage: " + d.name() + ": " + e.getMessage());
                status = Math.max(status, ExitStatus.of(e));
            }
        }
        return status;
    }
}
