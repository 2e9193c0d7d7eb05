package org.qubesstorage.lvm;

import java.util.ArrayList;
import java.util.List;

/**
 * The exact argument vectors of upstream's {@code _get_lvm_cmdline} ({@code qubes/storage/lvm.py}), with every
 * name checked first and every positional name after {@code --}. Pure functions: unit tests compare
 * them with upstream's strings.
 */
final class LvmCommands {
    static final String LVS_FIELDS = "vg_name,pool_lv,name,lv_size,data_percent,lv_attr,origin,lv_metadata_size,metadata_percent";

    private LvmCommands() {}

    /** One report of every LV in {@code vgs} (one process however many pools share them). */
    static List<String> lvs(List<String> vgs) {
        List<String> argv = new ArrayList<>(List.of("lvm", "lvs", "--quiet", "--quiet", "--noheadings", "-o", LVS_FIELDS,
                "--units", "b", "--nosuffix", "--reportformat=json", "--"));
        vgs.forEach(vg -> argv.add(LvmNames.check(vg)));
        return argv;
    }

    static List<String> create(String vg, String thinPool, String lvName, long size) {
        return List.of("lvm", "lvcreate", "--thin", "--setactivationskip=n", "--activate=y",
                "--name=" + LvmNames.check(lvName), "--virtualsize=" + size + "B", "--",
                LvmNames.check(vg) + "/" + LvmNames.check(thinPool));
    }

    /**
     * A thin snapshot of {@code source} (vg/lv) named {@code target} (LV name in the same VG). No
     * {@code --type=thin}: lvm 2.03.16 rejects it together with {@code --snapshot} ("Command does not
     * accept option"), and a snapshot of a thin LV without a size is a thin snapshot anyway.
     */
    static List<String> clone(String source, String target) {
        return List.of("lvm", "lvcreate", "--setactivationskip=n", "--activate=y", "--snapshot",
                "--name=" + LvmNames.check(target), "--", LvmNames.checkFull(source));
    }

    static List<String> remove(String full) {
        if (full.startsWith("/") || !full.contains("/")) {
            throw new IllegalArgumentException("refusing to delete entire volume group: " + full);
        }
        return List.of("lvm", "lvremove", "--force", "--", LvmNames.checkFull(full));
    }

    /** Discards an LV's blocks before removal, so the thin pool gets its space back at once. */
    static List<String> discard(String full) {
        return List.of("blkdiscard", "-p", "1G", "--", "/dev/" + LvmNames.checkFull(full));
    }

    /** Resize; shrinking needs {@code --force} (lvm would prompt, and stdin is closed). */
    static List<String> resize(String full, long size, boolean shrink) {
        List<String> argv = new ArrayList<>(List.of("lvm", "lvresize"));
        if (shrink) {
            argv.add("--force");
        }
        argv.addAll(List.of("--size=" + size + "B", "--", LvmNames.checkFull(full)));
        return argv;
    }

    static List<String> activate(String full) {
        return List.of("lvm", "lvchange", "--activate=y", "--", LvmNames.checkFull(full));
    }

    static List<String> rename(String from, String to) {
        return List.of("lvm", "lvrename", "--", LvmNames.checkFull(from), LvmNames.checkFull(to));
    }

    /** Each thin LV of {@code vg} with its device id in its pool (what thin_dump calls {@code dev_id}). */
    static List<String> thinIds(String vg) {
        return List.of("lvm", "lvs", "--quiet", "--quiet", "--noheadings", "-o", "vg_name,lv_name,pool_lv,thin_id",
                "--reportformat=json", "--", LvmNames.check(vg));
    }

    /**
     * Reserves (or releases) the thin pool's metadata snapshot, through which its metadata can be
     * read consistently while the pool is in use (the kernel's thin-provisioning.txt).
     */
    static List<String> metadataSnap(String tpoolDevice, boolean reserve) {
        return List.of("dmsetup", "message", "--", tpoolDevice, "0", reserve ? "reserve_metadata_snap" : "release_metadata_snap");
    }

    /**
     * The mappings of every thin device (or, with {@code devId} at least 0, of that one), from the
     * reserved metadata snapshot, as XML into {@code out}.
     */
    static List<String> thinDump(String metadataDevice, String out, int devId) {
        List<String> argv = new ArrayList<>(List.of("thin_dump", "--metadata-snap", "--format", "xml", "-o", out));
        if (devId >= 0) {
            argv.addAll(List.of("--dev-id", Integer.toString(devId)));
        }
        argv.addAll(List.of("--", metadataDevice));
        return List.copyOf(argv);
    }
}
