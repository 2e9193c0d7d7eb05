package org.qubesstorage.support;

import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;

/**
 * Upstream's checks before data comes into a directory pool's volume ({@code import_data},
 * {@code import_volume} of {@code file-reflink}), with its messages, for every driver that keeps
 * those semantics. The caller holds the volume's lock.
 */
public final class ImportChecks {
    private ImportChecks() {}

    /** Before {@code import_data}: a {@code save_on_stop} volume, not dirty, and a size that is not negative. */
    public static void beforeImportData(Volume v, long size) {
        if (!v.config().saveOnStop()) {
            throw StorageException.notSupported(v.pool().driverName(), "import_data into a volume without save_on_stop (volume "
                    + v.vid() + ")");
        }
        if (v.isDirty()) {
            throw StorageException.dirty("Cannot import data to dirty volume " + v.vid() + ", stop the qube first");
        }
        if (size < 0) {
            throw StorageException.invalidArgument("Import size must not be negative: " + size);
        }
    }

    /**
     * Before {@code import_volume}: false for a volume without {@code save_on_stop}, which carries
     * no data of its own (nothing to import, as upstream); refuses a dirty one.
     */
    public static boolean beforeImportVolume(Volume v) {
        if (!v.config().saveOnStop()) {
            return false;
        }
        if (v.isDirty()) {
            throw StorageException.dirty("Cannot import to dirty volume " + v.vid() + " - start and stop a qube to cleanup");
        }
        return true;
    }
}
