package org.qubesstorage.lvm;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.qubesstorage.spi.SpaceUse;
import org.qubesstorage.support.SharedSpace;

/**
 * Exclusive and shared bytes of a thin pool's volumes, from the pool's own mappings: each thin LV's
 * data blocks as {@code thin_dump} reads them ({@link ThinMetadata}), booked to the volume the LV
 * belongs to (its current LV, {@code -snap}, {@code -import} and revisions). Blocks a volume shares
 * only with its own revisions are exclusive to it: removing it frees them.
 */
final class ThinSpace {
    private final LvmRunner lvm;
    private final String vg;
    private final String thinPool;

    ThinSpace(LvmRunner lvm, String vg, String thinPool) {
        this.lvm = lvm;
        this.vg = vg;
        this.thinPool = thinPool;
    }

    /** The space of each of {@code vids} (full LV names of the pool's volumes). */
    Map<String, SpaceUse> measure(Set<String> vids) {
        Map<String, Integer> ids = LvsReport.thinIds(lvm.run("Listing thin device ids of " + vg, LvmCommands.thinIds(vg)), thinPool);
        Map<Integer, String> owners = new HashMap<>();
        ids.forEach((lv, id) -> owners.put(id, ownerOf(lv, vids)));
        List<SharedSpace.Reference> refs = new ThinMetadata(lvm, vg, thinPool).read(
                xml -> ThinDump.references(xml, id -> owners.getOrDefault(id, "#" + id)));
        Map<String, Long> none = new LinkedHashMap<>();
        vids.forEach(v -> none.put(v, 0L));
        Map<String, SpaceUse> all = SharedSpace.book(refs, none);
        Map<String, SpaceUse> out = new LinkedHashMap<>();
        vids.forEach(v -> out.put(v, all.get(v)));
        return out;
    }

    /**
     * The volume {@code lv} belongs to ({@code <vid>}, {@code <vid>-snap}, {@code <vid>-import},
     * {@code <vid>-<ts>-back}), or {@code lv} itself when it is none of {@code vids}'.
     */
    static String ownerOf(String lv, Set<String> vids) {
        String vid = lv;
        if (lv.endsWith(LvmNames.SNAP)) {
            vid = lv.substring(0, lv.length() - LvmNames.SNAP.length());
        } else if (lv.endsWith(LvmNames.IMPORT)) {
            vid = lv.substring(0, lv.length() - LvmNames.IMPORT.length());
        } else if (lv.endsWith(LvmNames.BACK)) {
            String stamped = lv.substring(0, lv.length() - LvmNames.BACK.length());
            int dash = stamped.lastIndexOf('-');
            if (dash > 0 && LvmNames.revisionId(stamped.substring(0, dash), lv).isPresent()) {
                vid = stamped.substring(0, dash);
            }
        }
        return vids.contains(vid) ? vid : lv;
    }
}
