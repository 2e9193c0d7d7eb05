package org.qubesstorage.lvm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.StoredData;

/**
 * Where thin LVs keep their data, for {@code Volume.storedData()}: each LV's device with the runs of
 * it that are mapped, and where in the pool's data device each run lies, so that blocks two LVs
 * share (a snapshot and its origin) are known as one copy. Unmapped runs read as zeros and are left
 * out. The kernel has no deduplication for thin devices (thin-provisioning-tools #206), so this
 * only serves reports.
 */
final class ThinStoredData {
    private final LvmRunner lvm;
    private final String vg;
    private final String thinPool;

    ThinStoredData(LvmRunner lvm, String vg, String thinPool) {
        this.lvm = lvm;
        this.vg = vg;
        this.thinPool = thinPool;
    }

    /** {@code lvs} (full names, active) as devices and their mapped runs. */
    List<StoredData> of(List<String> lvs, Function<String, Path> device) {
        if (lvs.isEmpty()) {
            return List.of();
        }
        Map<String, Integer> ids = LvsReport.thinIds(lvm.run("Listing thin device ids of " + vg, LvmCommands.thinIds(vg)), thinPool);
        List<Integer> devIds = new ArrayList<>();
        for (String lv : lvs) {
            Integer id = ids.get(lv);
            if (id == null) {
                throw StorageException.notFound("Thin volume " + lv + " is not in pool " + vg + "/" + thinPool);
            }
            devIds.add(id);
        }
        List<List<ThinDump.Mapping>> dumps = new ThinMetadata(lvm, vg, thinPool).readDevices(devIds, ThinDump::mappings);
        List<StoredData> out = new ArrayList<>();
        for (int i = 0; i < lvs.size(); i++) {
            out.add(StoredData.of(device.apply(lvs.get(i)), extents(dumps.get(i), devIds.get(i))));
        }
        return out;
    }

    /** The device's mappings as extents, runs contiguous on both sides joined. */
    static List<StoredData.Extent> extents(List<ThinDump.Mapping> mappings, int devId) {
        List<StoredData.Extent> out = new ArrayList<>();
        StoredData.Extent run = null;
        for (ThinDump.Mapping m : mappings) {
            if (m.devId() != devId) {
                continue;
            }
            if (run != null && run.offset() + run.length() == m.origin() && run.storage() + run.length() == m.data()) {
                run = new StoredData.Extent(run.offset(), run.length() + m.length(), run.storage());
            } else {
                if (run != null) {
                    out.add(run);
                }
                run = new StoredData.Extent(m.origin(), m.length(), m.data());
            }
        }
        if (run != null) {
            out.add(run);
        }
        return out;
    }
}
