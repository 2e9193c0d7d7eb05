package org.qubesstorage.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.qubesstorage.console.ExitStatus;
import org.qubesstorage.dedup.DedupReport;
import org.qubesstorage.dedup.DedupSource;
import org.qubesstorage.dedup.Deduplicator;
import org.qubesstorage.linux.LoopDevices;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Layer;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code qubes-storage dedup}: shares identical blocks between a pool's stopped volumes and their
 * revisions. Only pools whose driver declares {@link Capability#DEDUPLICATION} (file-reflink on
 * btrfs or xfs) can; the kernel compares every range before sharing it, so content never changes.
 * Pools that declare {@link Capability#DUPLICATE_REPORT} instead (lvm_thin, overlay, file-reflink
 * elsewhere) get the report of what is stored more than once, and nothing is changed.
 */
final class DedupCommand {
    private DedupCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = new QubesStorageCli.Subcommand(DedupCommand::run).spec("dedup",
                "Finds blocks stored more than once among a pool's stopped volumes and makes them share one copy"
                        + " (FIDEDUPERANGE: the kernel compares the bytes first). Running volumes are skipped. Pools that"
                        + " cannot share blocks (lvm_thin, overlay) get the report only.");
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
        long memory = spec.findOption("--memory").<Long>getValue() << 20;
        Path workDir = spec.findOption("--work-dir").getValue();
        SelectedVolumes selected = SelectedVolumes.load(spec);
        Pool pool = selected.byPool().keySet().iterator().next();
        boolean canShare = pool.capabilities().contains(Capability.DEDUPLICATION);
        if (!canShare && !pool.capabilities().contains(Capability.DUPLICATE_REPORT)) {
            throw StorageException.notSupported(pool.driverName(), "deduplication in pool " + pool.name()
                    + ": its driver can neither share blocks nor say where its volumes' data lies");
        }
        boolean dryRun = !canShare || QubesStorageCli.flag(spec, "--dry-run");
        List<DedupSource> sources = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        for (Volume v : parentsFirst(selected.byPool().get(pool))) {
            collect(v, canShare, sources, skipped);
        }
        DedupReport report;
        DedupProgress progress = new DedupProgress();
        try {
            report = new Deduplicator(new Deduplicator.Settings(4096, memory, workDir), progress).run(sources, !dryRun);
        } finally {
            progress.finished(!dryRun);
        }
        Optional<String> reportOnly = canShare ? Optional.empty() : Optional.of(whyNothingCanBeShared(pool));
        print(spec.commandLine().getOut(), json, dryRun, pool, sources, skipped, report, progress, reportOnly);
        return ExitStatus.OK;
    }

    private static String whyNothingCanBeShared(Pool pool) {
        return "report only: " + switch (pool.driverName()) {
            case "lvm_thin" -> "thin volumes have no offline deduplication in the kernel (thin-provisioning-tools #206)";
            case "file-reflink" -> "its file system cannot share extents (btrfs and xfs can)";
            case "overlay" -> "a layer's chunks are the kernel's snapshot exception store, which shares nothing between layers";
            default -> "driver " + pool.driverName() + " cannot share blocks between volumes";
        };
    }

    /**
     * Layers after what they sit on, so that on a tie the kept copy is the parent's and the report
     * says what a branch duplicates of its parent; otherwise by vid.
     */
    static List<Volume> parentsFirst(List<Volume> volumes) {
        Map<String, Volume> byVid = new HashMap<>();
        volumes.forEach(v -> byVid.put(v.vid(), v));
        Map<String, Integer> depth = new HashMap<>();
        for (Volume v : volumes) {
            int d = 0;
            Set<String> seen = new HashSet<>();
            for (Optional<Layer> l = v.layer(); l.isPresent() && seen.add(l.get().parentVid()); d++) {
                Volume parent = byVid.get(l.get().parentVid());
                l = parent == null ? Optional.empty() : parent.layer();
            }
            depth.put(v.vid(), d);
        }
        List<Volume> out = new ArrayList<>(volumes);
        out.sort(Comparator.<Volume>comparingInt(v -> depth.get(v.vid())).thenComparing(Volume::vid));
        return out;
    }

    /**
     * A stopped volume's files ({@code dedupFiles()} where they can be shared, else {@code
     * storedData()}), or why it is skipped (running, attached to a loop device).
     */
    private static void collect(Volume v, boolean canShare, List<DedupSource> sources, Map<String, String> skipped) {
        v.lock().lock();
        try {
            if (!canShare) {
                v.storedData().forEach(d -> sources.add(DedupSource.of(d, v.vid())));
                return;
            }
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
                              Map<String, String> skipped, DedupReport r, DedupProgress timing, Optional<String> reportOnly) {
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
            reportOnly.ifPresent(why -> root.put("report_only", why));
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
        if (reportOnly.isPresent()) {
            out.println(reportOnly.get() + "; nothing changed");
        } else if (dryRun) {
            out.println("dry run: nothing changed");
        } else {
            out.printf("shared %s; left alone %s (changed since the scan) and %s (refused by the file system);"
                    + " copied %s to free partly shared extents%n", UsageCommand.mib(r.sharedBytes()), UsageCommand.mib(r.changedBytes()),
                    UsageCommand.mib(r.unsupportedBytes()), UsageCommand.mib(r.relocatedBytes()));
        }
    }
}
