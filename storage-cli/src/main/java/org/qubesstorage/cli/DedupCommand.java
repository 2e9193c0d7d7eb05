package org.qubesstorage.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qubesstorage.console.ExitStatus;
import org.qubesstorage.dedup.DedupReport;
import org.qubesstorage.dedup.DedupSource;
import org.qubesstorage.dedup.Deduplicator;
import org.qubesstorage.linux.LoopDevices;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code qubes-storage dedup}: shares identical blocks between a pool's stopped volumes and their
 * revisions. Only pools whose driver declares {@link Capability#DEDUPLICATION} (file-reflink on
 * btrfs or xfs) can; the kernel compares every range before sharing it, so content never changes.
 */
final class DedupCommand {
    private DedupCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = new QubesStorageCli.Subcommand(DedupCommand::run).spec("dedup",
                "Finds blocks stored more than once among a pool's stopped volumes and makes them share one copy"
                        + " (FIDEDUPERANGE: the kernel compares the bytes first). Running volumes are skipped.");
        SelectedVolumes.options(spec, true, "The pool to deduplicate.");
        spec.addOption(OptionSpec.builder("--dry-run").type(boolean.class).description("Report what would be reclaimed; change nothing.").build());
        spec.addOption(OptionSpec.builder("--memory").paramLabel("MIB").type(long.class).defaultValue("256")
                .description("Index memory budget in MiB; the index spills to --work-dir beyond it (default: ${DEFAULT-VALUE}).")
                .build());
        spec.addOption(OptionSpec.builder("--work-dir").paramLabel("DIR").type(Path.class).defaultValue("/var/tmp")
                .description("Where the index is spilled; not a tmpfs (default: ${DEFAULT-VALUE}).").build());
        return spec;
    }

    private static int run(CommandSpec spec) {
        boolean json = QubesStorageCli.flag(spec, "--json");
        boolean dryRun = QubesStorageCli.flag(spec, "--dry-run");
        long memory = spec.findOption("--memory").<Long>getValue() << 20;
        Path workDir = spec.findOption("--work-dir").getValue();
        SelectedVolumes selected = SelectedVolumes.load(spec);
        Pool pool = selected.byPool().keySet().iterator().next();
        if (!pool.capabilities().contains(Capability.DEDUPLICATION)) {
            throw StorageException.notSupported(pool.driverName(), "deduplication in pool " + pool.name() + ": "
                    + switch (pool.driverName()) {
                        case "lvm_thin" -> "thin volumes have no offline deduplication in the kernel (thin-provisioning-tools #206)";
                        case "file-reflink" -> "its file system cannot share extents (btrfs and xfs can)";
                        default -> "its volumes are not files the kernel can share extents between";
                    });
        }
        List<DedupSource> sources = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        for (Volume v : selected.byPool().get(pool)) {
            collect(v, sources, skipped);
        }
        DedupReport report;
        DedupProgress progress = new DedupProgress();
        try {
            report = new Deduplicator(new Deduplicator.Settings(4096, memory, workDir), progress).run(sources, !dryRun);
        } finally {
            progress.finished(!dryRun);
        }
        print(spec.commandLine().getOut(), json, dryRun, pool, sources, skipped, report, progress);
        return ExitStatus.OK;
    }

    /** A stopped volume's files, or why it is skipped (running, attached to a loop device). */
    private static void collect(Volume v, List<DedupSource> sources, Map<String, String> skipped) {
        v.lock().lock();
        try {
            List<Path> files = v.dedupFiles();
            for (Path f : files) {
                List<Path> loops = LoopDevices.backedBy(f);
                if (!loops.isEmpty()) {
                    skipped.put(v.vid(), f.getFileName() + " is attached to " + loops.getFirst());
                    return;
                }
            }
            files.forEach(f -> sources.add(new DedupSource(f, v.vid())));
        } catch (StorageException e) {
            if (e.code() != ErrorCode.BUSY) {
                throw e;
            }
            skipped.put(v.vid(), e.getMessage());
        } finally {
            v.lock().unlock();
        }
    }

    private static void print(PrintWriter out, boolean json, boolean dryRun, Pool pool, List<DedupSource> sources,
                              Map<String, String> skipped, DedupReport r, DedupProgress timing) {
        long volumes = sources.stream().map(DedupSource::volume).distinct().count();
        if (json) {
            ObjectNode root = new ObjectMapper().createObjectNode();
            root.put("pool", pool.name()).put("dry_run", dryRun).put("volumes", volumes).put("files", sources.size())
                    .put("block_size", r.blockSize()).put("scanned", r.scannedBytes()).put("duplicate", r.duplicateBytes())
                    .put("reclaimable", r.reclaimableBytes()).put("shared", r.sharedBytes()).put("changed", r.changedBytes())
                    .put("unsupported", r.unsupportedBytes()).put("relocated", r.relocatedBytes()).put("index_buckets", r.indexBuckets()).put("index_bytes", r.indexBytes())
                    .put("scan_seconds", timing.scanSeconds()).put("apply_seconds", timing.applySeconds());
            ObjectNode byVolume = root.putObject("by_volume");
            r.byVolume().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> byVolume.put(e.getKey(), e.getValue()));
            ObjectNode byPair = root.putObject("by_pair");
            r.byPair().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> byPair.put(e.getKey(), e.getValue()));
            ObjectNode skip = root.putObject("skipped");
            skipped.forEach(skip::put);
            out.println(root.toPrettyString());
            return;
        }
        out.printf("pool %s: scanned %s in %d volumes (%d files); duplicate %s; reclaimable %s%n", pool.name(),
                UsageCommand.mib(r.scannedBytes()), volumes, sources.size(), UsageCommand.mib(r.duplicateBytes()),
                UsageCommand.mib(r.reclaimableBytes()));
        r.byVolume().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.printf("  frees %10s in %s%n", UsageCommand.mib(e.getValue()), e.getKey()));
        r.byPair().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.printf("  %10s  %s%n", UsageCommand.mib(e.getValue()), e.getKey()));
        skipped.forEach((vid, why) -> out.printf("  skipped %s: %s%n", vid, why));
        if (dryRun) {
            out.println("dry run: nothing changed");
        } else {
            out.printf("shared %s; left alone %s (changed since the scan) and %s (refused by the file system);"
                    + " copied %s to free partly shared extents%n", UsageCommand.mib(r.sharedBytes()), UsageCommand.mib(r.changedBytes()),
                    UsageCommand.mib(r.unsupportedBytes()), UsageCommand.mib(r.relocatedBytes()));
        }
    }
}
