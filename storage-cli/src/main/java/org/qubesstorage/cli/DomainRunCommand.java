package org.qubesstorage.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.qubesstorage.console.ExitStatus;
import org.qubesstorage.console.QubesdGuard;
import org.qubesstorage.facade.DomainStorage;
import org.qubesstorage.facade.RunningState;
import org.qubesstorage.facade.StorageHost;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.wiring.Bootstrap;
import org.qubesstorage.xml.QubesXml;
import org.qubesstorage.xml.QubesXmlFile;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code qubes-storage start DOMAIN} and {@code stop DOMAIN}: a domain's volumes started or stopped
 * through the facade as qubesd does it around a qube's run (concurrently; a failed start stops what
 * it started), without the qube itself. Start prints what a qube would be given (block devices, or
 * files on pools without them); stop commits what the run changed, as each volume's type says.
 * Meant for admins and tests changing a template as a running qube would, so both refuse while
 * qubesd runs: it starts and stops volumes itself.
 */
final class DomainRunCommand {
    private DomainRunCommand() {}

    static CommandSpec startSpec(QubesdGuard qubesd) {
        return options(new QubesStorageCli.Subcommand(spec -> run(spec, qubesd, true)).spec("start",
                "Starts a domain's volumes (without the qube) and prints what the qube would be given."));
    }

    static CommandSpec stopSpec(QubesdGuard qubesd) {
        return options(new QubesStorageCli.Subcommand(spec -> run(spec, qubesd, false)).spec("stop",
                "Stops a domain's volumes, committing what its run changed as each volume's type says."));
    }

    private static CommandSpec options(CommandSpec spec) {
        QubesStorageCli.withXml(spec);
        spec.addOption(OptionSpec.builder("--run-dir").paramLabel("DIR").type(Path.class).defaultValue("/run/qubes")
                .description("Where volumes are marked running, as qubesd marks them (default: ${DEFAULT-VALUE}).").build());
        spec.addOption(OptionSpec.builder("--json").type(boolean.class).description("Print JSON instead of a table.").build());
        spec.addPositional(PositionalParamSpec.builder().paramLabel("DOMAIN").arity("1").required(true).type(String.class)
                .description("The domain (qube) whose volumes to start or stop.").build());
        return spec;
    }

    private static int run(CommandSpec spec, QubesdGuard qubesd, boolean start) {
        String verb = start ? "start" : "stop";
        String name = spec.positionalParameters().getFirst().getValue();
        qubesd.running().ifPresent(why -> {
            throw StorageException.busy("Refusing to " + verb + " the volumes of " + name + ": " + why);
        });
        QubesXmlFile file = QubesStorageCli.qubesXml(spec);
        if (file.document().model().format() == QubesXml.Format.LEGACY_R2_R3) {
            throw StorageException.invalidConfiguration(file.path() + " is an R2/R3 qubes.xml: its volumes have no pools to start them"
                    + " (migrate it first)");
        }
        Path runDir = spec.findOption("--run-dir").getValue();
        StorageHost host = Bootstrap.load(file, QubesStorageCli.registry(spec), HostDriverContext.system()).host(new RunningState(runDir));
        DomainStorage domain = host.domain(name);
        if (start) {
            domain.start();
        } else {
            domain.stop();
        }
        PrintWriter out = spec.commandLine().getOut();
        List<BlockDevice> devices = start ? domain.blockDevices() : List.of();
        if (QubesStorageCli.flag(spec, "--json")) {
            out.println(json(domain, start, devices));
        } else if (start) {
            out.printf("%-9s %-4s %s%n", "VOLUME", "MODE", "DEVICE");
            devices.forEach(d -> out.printf("%-9s %-4s %s%n", d.name(), d.rw() ? "rw" : "ro", d.path()));
        } else {
            out.println("Stopped " + String.join(", ", domain.volumes().keySet()) + " of " + name + ".");
        }
        return ExitStatus.OK;
    }

    private static String json(DomainStorage domain, boolean started, List<BlockDevice> devices) {
        ObjectNode root = new ObjectMapper().createObjectNode().put("domain", domain.name()).put("running", started);
        ArrayNode volumes = root.putArray("volumes");
        for (Map.Entry<String, Volume> e : domain.volumes().entrySet()) {
            Volume v = e.getValue();
            ObjectNode node = volumes.addObject().put("name", e.getKey()).put("pool", v.pool().name()).put("vid", v.vid())
                    .put("type", v.type().name().toLowerCase(java.util.Locale.ROOT));
            devices.stream().filter(d -> d.name().equals(e.getKey())).findFirst()
                    .ifPresent(d -> node.put("device", d.path().toString()).put("rw", d.rw()));
        }
        return root.toPrettyString();
    }
}
