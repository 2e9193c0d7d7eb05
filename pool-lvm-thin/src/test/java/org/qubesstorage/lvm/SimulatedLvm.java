package org.qubesstorage.lvm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandResult;
import org.qubesstorage.spi.CommandRunner;

/**
 * A stand-in for lvm in unit tests of the driver's logic: keeps a volume group's LVs, applies the
 * driver's lvcreate/lvrename/lvremove/lvresize/lvchange commands, and answers {@code lvs} in the
 * exact JSON shape lvm 2.03 prints (every value a string, "" when absent, two-space indent). Real
 * lvm is exercised by the VM tests; this one only has to be faithful to the commands the driver
 * sends, and counts them.
 */
final class SimulatedLvm implements CommandRunner {
    record Lv(String name, String pool, long size, String attr, String origin) {}

    final List<List<String>> commands = new ArrayList<>();
    final Map<String, Lv> lvs = new TreeMap<>();
    final String vg;
    String dataPercent = "10.00";
    String metadataPercent = "5.00";
    /** Data percentages of thin LVs by name (what a write into them would make lvs report); 0.00 otherwise. */
    final Map<String, String> lvDataPercent = new java.util.HashMap<>();
    /** A command (by verb, e.g. "lvrename") that fails once, to simulate a crash or an lvm error. */
    String failNext;

    SimulatedLvm(String vg, String pool, long poolSize) {
        this.vg = vg;
        lvs.put(pool, new Lv(pool, "", poolSize, "twi-aotz--", ""));
    }

    long count(String verb) {
        return commands.stream().filter(c -> c.size() > 1 && c.get(0).equals("lvm") && c.get(1).equals(verb)).count();
    }

    long lvmLaunches() {
        return commands.stream().filter(c -> c.get(0).equals("lvm")).count();
    }

    @Override
    public CommandResult run(Command command) {
        List<String> argv = command.argv();
        commands.add(argv);
        if (!argv.get(0).equals("lvm")) {
            return new CommandResult(command, 0, "", "");
        }
        String verb = argv.get(1);
        if (verb.equals(failNext)) {
            failNext = null;
            return new CommandResult(command, 5, "", "  simulated failure of " + verb);
        }
        String last = argv.getLast();
        switch (verb) {
            case "lvs" -> {
                return new CommandResult(command, 0, report(), "");
            }
            case "lvcreate" -> {
                String name = value(argv, "--name=");
                if (lvs.containsKey(name)) {
                    return new CommandResult(command, 5, "", "  Logical Volume \"" + name + "\" already exists in volume group \"" + vg + "\"");
                }
                if (argv.contains("--snapshot")) {
                    Lv src = lvs.get(last.substring(last.indexOf('/') + 1));
                    if (src == null) {
                        return new CommandResult(command, 5, "", "  Failed to find logical volume \"" + last + "\"");
                    }
                    lvs.put(name, new Lv(name, src.pool().isEmpty() ? src.name() : src.pool(), src.size(), "Vwi-a-tz--", src.name()));
                } else {
                    long size = Long.parseLong(value(argv, "--virtualsize=").replace("B", ""));
                    lvs.put(name, new Lv(name, last.substring(last.indexOf('/') + 1), size, "Vwi-a-tz--", ""));
                }
            }
            case "lvremove" -> {
                if (lvs.remove(last.substring(last.indexOf('/') + 1)) == null) {
                    return new CommandResult(command, 5, "", "  Failed to find logical volume \"" + last + "\"");
                }
            }
            case "lvrename" -> {
                String from = argv.get(argv.size() - 2);
                Lv lv = lvs.remove(from.substring(from.indexOf('/') + 1));
                String to = last.substring(last.indexOf('/') + 1);
                lvs.put(to, new Lv(to, lv.pool(), lv.size(), lv.attr(), lv.origin()));
                String fromName = from.substring(from.indexOf('/') + 1);
                lvs.replaceAll((k, v) -> v.origin().equals(fromName) ? new Lv(v.name(), v.pool(), v.size(), v.attr(), to) : v);
            }
            case "lvresize" -> {
                String name = last.substring(last.indexOf('/') + 1);
                Lv lv = lvs.get(name);
                lvs.put(name, new Lv(name, lv.pool(), Long.parseLong(value(argv, "--size=").replace("B", "")), lv.attr(), lv.origin()));
            }
            case "lvchange" -> {
                String name = last.substring(last.indexOf('/') + 1);
                Lv lv = lvs.get(name);
                lvs.put(name, new Lv(name, lv.pool(), lv.size(), lv.attr().substring(0, 4) + "a" + lv.attr().substring(5), lv.origin()));
            }
            default -> throw new IllegalArgumentException("unexpected lvm command " + argv);
        }
        return new CommandResult(command, 0, "", "  WARNING: Sum of all thin volume sizes (20.00 GiB) exceeds the size of thin pool " + vg + "/pool.");
    }

    private static String value(List<String> argv, String prefix) {
        return argv.stream().filter(a -> a.startsWith(prefix)).findFirst().orElseThrow().substring(prefix.length());
    }

    private String report() {
        StringBuilder sb = new StringBuilder("  {\n      \"report\": [\n          {\n              \"lv\": [\n");
        List<String> rows = new ArrayList<>();
        for (Lv lv : lvs.values()) {
            Map<String, String> m = new LinkedHashMap<>();
            boolean pool = lv.attr().startsWith("t");
            m.put("vg_name", vg);
            m.put("pool_lv", lv.pool());
            m.put("lv_name", lv.name());
            m.put("lv_size", Long.toString(lv.size()));
            m.put("data_percent", pool ? dataPercent : lv.attr().charAt(4) == 'a' ? lvDataPercent.getOrDefault(lv.name(), "0.00") : "");
            m.put("lv_attr", lv.attr());
            m.put("origin", lv.origin());
            m.put("lv_metadata_size", pool ? "8388608" : "");
            m.put("metadata_percent", pool ? metadataPercent : "");
            StringBuilder row = new StringBuilder("                  {");
            m.forEach((k, v) -> row.append('"').append(k).append("\":\"").append(v).append("\", "));
            row.setLength(row.length() - 2);
            rows.add(row.append('}').toString());
        }
        sb.append(String.join(",\n", rows)).append("\n              ]\n          }\n      ]\n  }\n");
        return sb.toString();
    }
}
