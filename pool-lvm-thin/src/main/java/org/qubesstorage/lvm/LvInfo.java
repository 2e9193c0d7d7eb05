package org.qubesstorage.lvm;

import static java.util.Objects.requireNonNull;

/**
 * One line of {@code lvs}: what the driver knows about an LV.
 *
 * @param vg               volume group
 * @param name             LV name
 * @param poolLv           the thin pool it lives in ("" for the pool itself)
 * @param size             virtual size in bytes
 * @param dataPercent      percent of data used (-1 when lvs did not say, e.g. inactive)
 * @param attr             lv_attr, e.g. {@code Vwi-a-tz--} ({@code t} first for a thin pool)
 * @param origin           the LV it is a snapshot of ("" if none)
 * @param metadataSize     metadata size in bytes (thin pools)
 * @param metadataPercent  percent of metadata used (-1 if unknown)
 */
record LvInfo(String vg, String name, String poolLv, long size, double dataPercent, String attr, String origin,
        long metadataSize, double metadataPercent) {
    LvInfo {
        requireNonNull(vg, "vg");
        requireNonNull(name, "name");
        requireNonNull(poolLv, "poolLv");
        requireNonNull(attr, "attr");
        requireNonNull(origin, "origin");
    }

    String full() {
        return vg + "/" + name;
    }

    boolean isThinPool() {
        return attr.startsWith("t");
    }

    boolean isActive() {
        return attr.length() > 4 && attr.charAt(4) == 'a';
    }

    /** Bytes of data used (upstream: {@code int(size/100*data_percent)}), 0 when unknown. */
    long usage() {
        return dataPercent < 0 ? 0 : (long) (size / 100.0 * dataPercent);
    }

    long metadataUsage() {
        return metadataPercent < 0 ? 0 : (long) (metadataSize / 100.0 * metadataPercent);
    }

    LvInfo renamed(String newName) {
        return new LvInfo(vg, newName, poolLv, size, dataPercent, attr, origin, metadataSize, metadataPercent);
    }

    LvInfo resized(long newSize) {
        return new LvInfo(vg, name, poolLv, newSize, dataPercent, attr, origin, metadataSize, metadataPercent);
    }

    LvInfo activated() {
        if (isActive() || attr.length() < 5) {
            return this;
        }
        return new LvInfo(vg, name, poolLv, size, dataPercent, attr.substring(0, 4) + "a" + attr.substring(5), origin,
                metadataSize, metadataPercent);
    }
}
