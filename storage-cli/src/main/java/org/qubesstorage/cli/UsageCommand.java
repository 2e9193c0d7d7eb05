package org.qubesstorage.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.qubesstorage.console.ExitStatus;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.SpaceUse;
import org.qubesstorage.spi.Volume;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code qubes-storage usage}: per volume its size, the storage it references, and how much of that
 * is exclusive (freed by removing it) or shared with other volumes; per pool the totals and what the
 * pool's storage reports as used (qubes-issues #7535: usage that counts shared blocks once per
 * volume is deceptive).
 */
final class UsageCommand {
    private UsageCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = new QubesStorageCli.Subcommand(UsageCommand::run).spec("usage",
                "Shows what each volume really costs: allocated bytes, those only it references (exclusive: what"
                        + " removing it frees) and those it shares with other volumes or revisions.");
        return SelectedVolumes.options(spec, false, "Only this pool's volumes.");
    }

    /** One volume's row. */
    private record Row(String vid, long size, SpaceUse space) {}

    /** One pool's figures, or why it has none. */
    private record PoolUsage(Pool pool, Optional<String> unavailable, List<Row> rows, SpaceUse total, OptionalLong used,
                             OptionalLong size) {}

    private static int run(CommandSpec spec) {
        SelectedVolumes selected = SelectedVolumes.load(spec);
        List<PoolUsage> pools = new ArrayList<>();
        for (Map.Entry<Pool, List<Volume>> e : selected.byPool().entrySet()) {
            pools.add(measure(e.getKey(), e.getValue()));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (QubesStorageCli.flag(spec, "--json")) {
            out.println(json(pools, selected.problems()));
        } else {
            table(out, pools);
            selected.problems().forEach(pr -> spec.commandLine().getErr().println("qubes-storage: " + pr));
        }
        return ExitStatus.OK;
    }

    private static PoolUsage measure(Pool pool, List<Volume> volumes) {
        if (!pool.capabilities().contains(Capability.SPACE_ACCOUNTING)) {
            return new PoolUsage(pool, Optional.of("driver " + pool.driverName() + " does not report exclusive and shared space"),
                    List.of(), SpaceUse.exclusive(0), OptionalLong.empty(), OptionalLong.empty());
        }
        Map<String, SpaceUse> space = pool.volumeSpace();
        List<Row> rows = new ArrayList<>();
        SpaceUse total = SpaceUse.exclusive(0);
        for (Volume v : volumes) {
            SpaceUse s = space.getOrDefault(v.vid(), SpaceUse.exclusive(0));
            total = total.plus(s);
            rows.add(new Row(v.vid(), v.size(), s));
        }
        return new PoolUsage(pool, Optional.empty(), rows, total, pool.usage(), pool.size());
    }

    private static void table(PrintWriter out, List<PoolUsage> pools) {
        String format = "%-14s %-40s %10s %10s %10s %10s%n";
        out.printf(format, "POOL", "VOLUME", "SIZE", "ALLOCATED", "EXCLUSIVE", "SHARED");
        for (PoolUsage p : pools) {
            String name = p.pool().name();
            if (p.unavailable().isPresent()) {
                out.printf("%-14s (%s)%n", name, p.unavailable().get());
                continue;
            }
            for (Row r : p.rows()) {
                out.printf(format, name, r.vid(), mib(r.size()), mib(r.space().allocated()), mib(r.space().exclusive()),
                        mib(r.space().shared()));
            }
            out.printf(format, name, "(total; shared counted per volume)", "", mib(p.total().allocated()),
                    mib(p.total().exclusive()), mib(p.total().shared()));
            if (p.used().isPresent()) {
                out.printf("%-14s storage used: %s of %s%n", name, mib(p.used().getAsLong()),
                        p.size().isPresent() ? mib(p.size().getAsLong()) : "?");
            }
        }
    }

    private static String json(List<PoolUsage> pools, List<String> problems) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        ArrayNode array = root.putArray("pools");
        for (PoolUsage p : pools) {
            ObjectNode node = array.addObject().put("pool", p.pool().name()).put("driver", p.pool().driverName());
            if (p.unavailable().isPresent()) {
                node.put("unavailable", p.unavailable().get());
                continue;
            }
            ArrayNode volumes = node.putArray("volumes");
            for (Row r : p.rows()) {
                volumes.addObject().put("vid", r.vid()).put("size", r.size()).put("allocated", r.space().allocated())
                        .put("exclusive", r.space().exclusive()).put("shared", r.space().shared());
            }
            node.put("allocated", p.total().allocated()).put("exclusive", p.total().exclusive()).put("shared", p.total().shared());
            p.used().ifPresent(u -> node.put("pool_used", u));
            p.size().ifPresent(s -> node.put("pool_size", s));
        }
        ArrayNode problemArray = root.putArray("problems");
        problems.forEach(problemArray::add);
        return root.toPrettyString();
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1fM", bytes / 1048576.0);
    }
}
