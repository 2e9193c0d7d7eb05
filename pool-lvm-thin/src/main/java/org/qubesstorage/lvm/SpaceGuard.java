package org.qubesstorage.lvm;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

/**
 * Admission control for a thin pool (upstream has none: #7124, #3425, #5826, #6451): before any
 * operation that allocates or promises space, refuse when data or metadata usage is above its
 * threshold, or when the new virtual size would push the pool's over-provisioning past the ratio.
 * The message names the pool and the numbers.
 *
 * @param maxDataPercent     refuse above this data usage (default 90)
 * @param maxMetadataPercent refuse above this metadata usage (default 80)
 * @param maxOverprovision   refuse when (sum of thin volume sizes + request) / pool size exceeds it
 */
record SpaceGuard(double maxDataPercent, double maxMetadataPercent, OptionalDouble maxOverprovision) {
    static final double DEFAULT_DATA = 90;
    static final double DEFAULT_METADATA = 80;

    SpaceGuard {
        if (maxDataPercent <= 0 || maxDataPercent > 100 || maxMetadataPercent <= 0 || maxMetadataPercent > 100) {
            throw StorageException.invalidConfiguration("Thin pool thresholds must be between 0 and 100 percent");
        }
        if (maxOverprovision.isPresent() && maxOverprovision.getAsDouble() < 1) {
            throw StorageException.invalidConfiguration("Over-provisioning ratio must be 1 or more");
        }
    }

    /**
     * Checks that {@code pool} may take {@code operation} adding {@code addedVirtual} bytes of
     * virtual size, given every LV of its volume group in {@code lvs}.
     */
    void admit(String poolName, LvInfo pool, Map<String, LvInfo> lvs, long addedVirtual, String operation) {
        check(poolName, pool, lvs, 0, addedVirtual).ifPresent(problem -> {
            throw refuse(problem + "; refusing to " + operation);
        });
    }

    /**
     * Why {@code pool} could not take {@code addedData} more bytes of data in new thin volumes of
     * {@code addedVirtual} bytes in all, or empty if it can.
     */
    Optional<String> check(String poolName, LvInfo pool, Map<String, LvInfo> lvs, long addedData, long addedVirtual) {
        String where = "Pool " + poolName + " (" + pool.full() + ")";
        if (pool.dataPercent() >= 0 && pool.size() > 0) {
            double after = pool.dataPercent() + 100.0 * addedData / pool.size();
            if (after > maxDataPercent) {
                return Optional.of(where + ": data usage " + pct(pool.dataPercent()) + " of " + pool.size() + " bytes"
                        + (addedData > 0 ? " would become " + pct(after) + " with " + addedData + " more bytes," : "")
                        + " is above the " + pct(maxDataPercent) + " limit");
            }
        }
        if (pool.metadataPercent() >= 0 && pool.metadataSize() > 0) {
            // lvm sizes a pool's metadata to map all of its data (one btree entry per chunk), so new
            // data needs at most its share of the metadata: a conservative estimate that needs no
            // chunk size.
            double estimate = pool.size() > 0 ? (double) addedData / pool.size() * pool.metadataSize() : 0;
            double after = pool.metadataPercent() + 100.0 * estimate / pool.metadataSize();
            if (after > maxMetadataPercent) {
                return Optional.of(where + ": metadata usage " + pct(pool.metadataPercent()) + " of " + pool.metadataSize()
                        + " bytes" + (estimate > 0 ? " would become about " + pct(after) + "," : "")
                        + " is above the " + pct(maxMetadataPercent) + " limit");
            }
        }
        if (maxOverprovision.isPresent() && pool.size() > 0) {
            long provisioned = 0;
            for (LvInfo lv : lvs.values()) {
                if (lv.vg().equals(pool.vg()) && lv.poolLv().equals(pool.name())) {
                    provisioned += lv.size();
                }
            }
            double after = (double) (provisioned + addedVirtual) / pool.size();
            if (after > maxOverprovision.getAsDouble()) {
                return Optional.of(where + ": thin volumes would total " + (provisioned + addedVirtual) + " bytes, "
                        + String.format(Locale.ROOT, "%.2f", after) + " times the pool's " + pool.size()
                        + " bytes, above the over-provisioning limit of " + maxOverprovision.getAsDouble());
            }
        }
        return Optional.empty();
    }

    private static String pct(double p) {
        return String.format(Locale.ROOT, "%.1f %%", p);
    }

    private static StorageException refuse(String message) {
        return new StorageException(ErrorCode.INSUFFICIENT_SPACE, message);
    }
}
