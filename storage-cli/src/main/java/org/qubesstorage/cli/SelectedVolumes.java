package org.qubesstorage.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.facade.DomainStorage;
import org.qubesstorage.facade.RunningState;
import org.qubesstorage.facade.StorageHost;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.wiring.Bootstrap;
import org.qubesstorage.xml.DomainEntry;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The volumes {@code usage} and {@code dedup} work on: every domain of the qubes.xml is loaded (so
 * each pool knows all its volumes, and what shares with what is seen whole), then the selection is
 * narrowed to {@code --pool} and the named domains. Unknown pools and domains are refused.
 */
record SelectedVolumes(StorageHost host, Map<Pool, List<Volume>> byPool, List<String> problems) {
    /** Adds {@code --qubes-xml}, {@code --plugins}, {@code --pool}, {@code --json} and the domains. */
    static CommandSpec options(CommandSpec spec, boolean poolRequired, String poolHelp) {
        QubesStorageCli.withXml(spec);
        spec.addOption(OptionSpec.builder("--pool").paramLabel("POOL").type(String.class).required(poolRequired)
                .description(poolHelp).build());
        spec.addOption(OptionSpec.builder("--json").type(boolean.class).description("Print JSON instead of a table.").build());
        spec.addPositional(PositionalParamSpec.builder().paramLabel("DOMAIN").arity("0..*").type(String.class)
                .description("Only these domains' volumes (default: all).").build());
        return spec;
    }

    static SelectedVolumes load(CommandSpec spec) {
        StorageHost host = Bootstrap.load(QubesStorageCli.qubesXml(spec), QubesStorageCli.registry(spec), HostDriverContext.system())
                .host(new RunningState(Path.of("/run/qubes")));
        Optional<String> poolName = Optional.ofNullable(spec.findOption("--pool").getValue());
        if (poolName.isPresent() && host.pools().find(poolName.get()).isEmpty()) {
            throw StorageException.notFound("No pool " + poolName.get() + " is loaded from the qubes.xml");
        }
        List<String> problems = new ArrayList<>();
        for (DomainEntry d : host.xml().domains()) {
            try {
                host.domain(d.name());
            } catch (StorageException e) {
                problems.add(d.name() + ": " + e.getMessage());
            }
        }
        List<String> domains = spec.positionalParameters().getFirst().getValue();
        List<Volume> volumes = new ArrayList<>();
        if (domains == null || domains.isEmpty()) {
            for (Pool p : host.pools().all()) {
                if (poolName.isEmpty() || p.name().equals(poolName.get())) {
                    volumes.addAll(p.listVolumes());
                }
            }
        } else {
            for (String d : domains) {
                DomainStorage ds = host.domain(d);
                ds.volumes().values().stream().filter(v -> poolName.isEmpty() || v.pool().name().equals(poolName.get()))
                        .forEach(volumes::add);
            }
        }
        Map<Pool, List<Volume>> byPool = new LinkedHashMap<>();
        poolName.flatMap(host.pools()::find).ifPresent(p -> byPool.put(p, new ArrayList<>()));
        for (Volume v : volumes) {
            byPool.computeIfAbsent(v.pool(), p -> new ArrayList<>()).add(v);
        }
        byPool.values().forEach(l -> l.sort(Comparator.comparing(Volume::vid)));
        return new SelectedVolumes(host, byPool, problems);
    }
}
