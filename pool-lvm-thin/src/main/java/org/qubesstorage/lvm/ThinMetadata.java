package org.qubesstorage.lvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.qubesstorage.spi.StorageException;

/**
 * Reads a thin pool's mappings while the pool is in use: {@code thin_dump} on the metadata
 * snapshot (the kernel's thin-provisioning.txt), which is reserved for the read and released
 * afterwards, also on failure, since a reserved snapshot costs the pool metadata space for as long
 * as it exists.
 */
final class ThinMetadata {
    private final LvmRunner lvm;
    private final String vg;
    private final String thinPool;

    ThinMetadata(LvmRunner lvm, String vg, String thinPool) {
        this.lvm = lvm;
        this.vg = vg;
        this.thinPool = thinPool;
    }

    /** Dumps every device's mappings (or, with {@code devId} at least 0, that device's) and parses the XML. */
    <T> T read(int devId, Function<Path, T> parse) {
        String pool = LvmNames.mapperName(vg + "/" + thinPool);
        Path tpool = Path.of("/dev/mapper", pool + "-tpool");
        // Without active thin volumes lvm may not have the -tpool layer; the pool device is the target then.
        String target = Files.exists(tpool) ? tpool.toString() : Path.of("/dev/mapper", pool).toString();
        Path xml;
        try {
            xml = Files.createTempFile("thin-dump-", ".xml");
        } catch (IOException e) {
            throw StorageException.backend("Cannot make a temporary file for thin_dump: " + e.getMessage(), e);
        }
        try {
            try {
                lvm.run("Reserving the metadata snapshot of " + vg + "/" + thinPool, LvmCommands.metadataSnap(target, true));
            } catch (StorageException e) {
                throw StorageException.backend(e.getMessage() + " (if a metadata snapshot was left reserved, release it with"
                        + " `dmsetup message " + target + " 0 release_metadata_snap`)", e);
            }
            try {
                lvm.run("Reading the mappings of " + vg + "/" + thinPool,
                        LvmCommands.thinDump("/dev/mapper/" + pool + "_tmeta", xml.toString(), devId));
            } finally {
                lvm.run("Releasing the metadata snapshot of " + vg + "/" + thinPool, LvmCommands.metadataSnap(target, false));
            }
            return parse.apply(xml);
        } finally {
            try {
                Files.deleteIfExists(xml);
            } catch (IOException ignored) {
                // a temporary file; nothing depends on it
            }
        }
    }
}
