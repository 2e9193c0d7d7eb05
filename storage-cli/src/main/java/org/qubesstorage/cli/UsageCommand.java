package org.qubesstorage.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

    private static int run(CommandSpec spec) {
        boolean json = QubesStorageCli.flag(spec, "--json");
        SelectedVolumes selected = SelectedVolumes.load(spec);
        PrintWriter out = spec.commandLine().getOut();
        ObjectNode root = new ObjectMapper().createObjectNode();
        ArrayNode pools = root.putArray("pools");
        if (!json) {
            out.printf("%-14s %-40s %10s %10s %10s %10s%n", "POOL", "VOLUME", "SIZE", "ALLOCATED", "EXCLUSIVE", "SHARED");
        }
        for (Map.Entry<Pool, List<Volume>> e : selected.byPool().entrySet()) {
            Pool pool = e.getKey();
            ObjectNode p = pools.addObject().put("pool", pool.name()).put("driver", pool.driverName());
            if (!pool.capabilities().contains(Capability.SPACE_ACCOUNTING)) {
                String why = "driver " + pool.driverName() + " does not report exclusive and shared space";
                p.put("unavailable", why);
                if (!json) {
                    out.printf("%-14s (%s)%n", pool.name(), why);
                }
                continue;
            }
            Map<String, SpaceUse> space = pool.volumeSpace();
            ArrayNode volumes = p.putArray("volumes");
            SpaceUse total = SpaceUse.exclusive(0);
            for (Volume v : e.getValue()) {
                SpaceUse s = space.getOrDefault(v.vid(), SpaceUse.exclusive(0));
                total = total.plus(s);
                volumes.addObject().put("vid", v.vid()).put("size", v.size()).put("allocated", s.allocated())
                        .put("exclusive", s.exclusive()).put("shared", s.shared());
                if (!json) {
                    out.printf("%-14s %-40s %10s %10s %10s %10s%n", pool.name(), v.vid(), mib(v.size()), mib(s.allocated()),
                            mib(s.exclusive()), mib(s.shared()));
                }
            }
            p.put("allocated", total.allocated()).put("exclusive", total.exclusive()).put("shared", total.shared());
            pool.usage().ifPresent(u -> p.put("pool_used", u));
            pool.size().ifPresent(s -> p.put("pool_size", s));
            if (!json) {
                out.printf("%-14s %-40s %10s %10s %10s %10s%n", pool.name(), "(total; shared counted per volume)", "",
                        mib(total.allocated()), mib(total.exclusive()), mib(total.shared()));
                if (pool.usage().isPresent()) {
                    out.printf("%-14s storage used: %s of %s%n", pool.name(), mib(pool.usage().getAsLong()),
                            pool.size().isPresent() ? mib(pool.size().getAsLong()) : "?");
                }
            }
        }
        ArrayNode problems = root.putArray("problems");
        selected.problems().forEach(problems::add);
        if (json) {
            out.println(root.toPrettyString());
        } else {
            selected.problems().forEach(pr -> spec.commandLine().getErr().println("qubes-storage: " + pr));
        }
        return ExitStatus.OK;
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1fM", bytes / 1048576.0);
    }
}
