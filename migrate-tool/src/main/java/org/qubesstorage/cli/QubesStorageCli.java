package org.qubesstorage.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.qubesstorage.facade.DomainStorage;
import org.qubesstorage.facade.RunningState;
import org.qubesstorage.facade.StorageHost;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.host.LoadProblem;
import org.qubesstorage.host.PoolRegistry;
import org.qubesstorage.spi.DriverParameter;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.migrate.ExitCodes;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.xml.DomainEntry;
import org.qubesstorage.xml.QubesXml;
import org.qubesstorage.wiring.Bootstrap;
import org.qubesstorage.xml.QubesXmlFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code qubes-storage}: read-only views of the storage framework, like {@code qvm-pool drivers},
 * {@code qvm-pool list} and {@code qvm-volume list}. It never changes anything.
 */
@Command(name = "qubes-storage", mixinStandardHelpOptions = true, version = "qubes-storage 0.1.0",
        description = {"Shows pool drivers, the pools and the volumes of a qubes.xml. Changes nothing.",
            "Exit codes: 0 done, 2 bad usage or input, 3 out of space, 4 backend failure (a storage command or the disk failed)."},
        subcommands = {QubesStorageCli.Drivers.class, QubesStorageCli.Pools.class, QubesStorageCli.Volumes.class})
public final class QubesStorageCli {
    /** Exit codes: 0 ok, 2 bad usage or input, 3 out of space, 4 backend failure (as qvm-to-lvm's). */
    static final int INPUT_ERROR = ExitCodes.INPUT;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new QubesStorageCli());
        cl.setOut(new PrintWriter(new TerminalSafeWriter(out), true));
        cl.setErr(new PrintWriter(new TerminalSafeWriter(err), true));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof StorageException se) {
                cmd.getErr().println("qubes-storage: " + se.getMessage());
                return ExitCodes.of(se);
            }
            cmd.getErr().println("qubes-storage: internal error, please report it with the trace below: " + e);
            e.printStackTrace(cmd.getErr());
            return INPUT_ERROR;
        });
        return cl.execute(args);
    }


    @Command(name = "drivers", mixinStandardHelpOptions = true, description = "Lists pool drivers and their parameters (* = required).")
    static final class Drivers implements Callable<Integer> {
        @CommandLine.Mixin
        DriverOptionsMixin options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            DriverRegistry registry = options.registry();
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
            return 0;
        }
    }

    /** picocli mixin form of {@link DriverOptions}. */
    public static final class DriverOptionsMixin {
        @Option(names = "--plugins", paramLabel = "DIR", description = "A directory of pool driver plugins.")
        Path plugins;

        DriverRegistry registry() {
            return DriverRegistry.load(QubesStorageCli.class.getClassLoader(), Optional.ofNullable(plugins));
        }
    }

    /** Options naming the qubes.xml. */
    public static final class XmlOptions {
        @Option(names = "--qubes-xml", paramLabel = "PATH", defaultValue = "/var/lib/qubes/qubes.xml",
                description = "The qubes.xml to read (default: ${DEFAULT-VALUE}).")
        Path qubesXml;
    }

    @Command(name = "pools", mixinStandardHelpOptions = true, description = "Lists the pools of a qubes.xml with driver, usage and load problems.")
    static final class Pools implements Callable<Integer> {
        @CommandLine.Mixin
        DriverOptionsMixin drivers;

        @CommandLine.Mixin
        XmlOptions xml;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            DriverRegistry registry = drivers.registry();
            Bootstrap storage = Bootstrap.load(QubesXmlFile.load(xml.qubesXml), registry, HostDriverContext.system());
            QubesXml model = storage.file().document().model();
            PoolRegistry pools = storage.pools();
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-20s %-14s %s%n", "NAME", "DRIVER", "CONFIG");
            for (Map<String, String> p : model.pools()) {
                String name = p.get("name");
                Optional<Pool> loaded = pools.find(name);
                out.printf("%-20s %-14s %s%s%n", name, p.get("driver"), masked(p, registry),
                        loaded.isPresent() ? "" : "  (not loaded)");
            }
            pools.problems().forEach(spec.commandLine().getErr()::println);
            return 0;
        }
    }

    /** A pool's attributes with the values of parameters its driver declares sensitive masked. */
    static Map<String, String> masked(Map<String, String> attrs, DriverRegistry registry) {
        Map<String, String> out = new java.util.LinkedHashMap<>(attrs);
        registry.find(attrs.getOrDefault("driver", "")).ifPresent(d -> {
            for (DriverParameter p : d.parameters()) {
                if (p.sensitive() && out.containsKey(p.name())) {
                    out.put(p.name(), "****");
                }
            }
        });
        return out;
    }

    @Command(name = "volumes", mixinStandardHelpOptions = true, description = "Lists every domain's volumes as the facade resolves them (pool, vid, type, size).")
    static final class Volumes implements Callable<Integer> {
        @CommandLine.Mixin
        DriverOptionsMixin drivers;

        @CommandLine.Mixin
        XmlOptions xml;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            QubesXmlFile file = QubesXmlFile.load(xml.qubesXml);
            QubesXml model = file.document().model();
            PrintWriter out = spec.commandLine().getOut();
            if (model.format() == QubesXml.Format.LEGACY_R2_R3) {
                out.printf("%-24s %-13s %-9s %s%n", "DOMAIN", "CLASS", "VOLUME", "IMAGE");
                for (DomainEntry d : model.domains()) {
                    d.images().forEach((v, img) -> out.printf("%-24s %-13s %-9s %s%n", d.name(), d.klass(), v, img));
                }
                return 0;
            }
            StorageHost host = Bootstrap.load(file, drivers.registry(), HostDriverContext.system())
                    .host(new RunningState(Path.of("/run/qubes")));
            out.printf("%-24s %-9s %-14s %-40s %-9s %s%n", "DOMAIN", "VOLUME", "POOL", "VID", "TYPE", "SIZE");
            int status = 0;
            for (DomainEntry d : model.domains()) {
                try {
                    DomainStorage ds = host.domain(d.name());
                    for (Volume v : ds.volumes().values()) {
                        out.printf("%-24s %-9s %-14s %-40s %-9s %d%n", d.name(), v.name(), v.pool().name(), v.vid(),
                                v.type().name().toLowerCase(java.util.Locale.ROOT), v.config().size());
                    }
                } catch (StorageException e) {
                    spec.commandLine().getErr().println("qubes-storage: " + d.name() + ": " + e.getMessage());
                    status = INPUT_ERROR;
                }
            }
            return status;
        }
    }
}
