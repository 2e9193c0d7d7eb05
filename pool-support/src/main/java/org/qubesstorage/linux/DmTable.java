package org.qubesstorage.linux;

import java.util.ArrayList;
import java.util.List;
import org.qubesstorage.spi.StorageException;

/**
 * A device-mapper table in {@code dmsetup}'s text form, one target per line: {@code start length
 * type params}, in sectors. Blank lines and {@code #} comments are skipped, as {@code dmsetup}
 * skips them.
 */
record DmTable(List<Target> targets) {
    /** One line of a table; {@code params} is everything after the type, passed to the target as it is. */
    record Target(long start, long length, String type, String params) {}

    /** {@code type}'s length limit in the kernel's {@code struct dm_target_spec} ({@code DM_MAX_TYPE_NAME}, NUL included). */
    static final int MAX_TYPE_NAME = 16;

    DmTable {
        targets = List.copyOf(targets);
        if (targets.isEmpty()) {
            throw StorageException.invalidArgument("A device-mapper table needs at least one target");
        }
    }

    static DmTable parse(String text) {
        List<Target> targets = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+", 4);
            if (f.length < 3) {
                throw StorageException.invalidArgument("Device-mapper table line needs start, length and type: " + line);
            }
            if (f[2].length() >= MAX_TYPE_NAME) {
                throw StorageException.invalidArgument("Device-mapper target type too long: " + f[2]);
            }
            try {
                targets.add(new Target(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2], f.length == 4 ? f[3] : ""));
            } catch (NumberFormatException e) {
                throw StorageException.invalidArgument("Device-mapper table line has no numeric start and length: " + line);
            }
        }
        return new DmTable(targets);
    }
}
