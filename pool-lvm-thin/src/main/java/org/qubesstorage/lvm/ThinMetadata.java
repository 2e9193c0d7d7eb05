package org.qubesstorage.lvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    /** Dumps every device's mappings and parses the XML. */
    <T> T read(Function<Path, T> parse) {
        return reading(List.of(-1), parse).getFirst();
    }

    /** Dumps each of {@code devIds}' mappings, all under one reservation, and parses each dump. */
    <T> List<T> readDevices(List<Integer> devIds, Function<Path, T> parse) {
        return devIds.isEmpty() ? List.of() : reading(devIds, parse);
    }

    /** One dump per id ({@code -1}: every device) from one reserved metadata snapshot. */
    private <T> List<T> reading(List<Integer> devIds, Function<Path, T> parse) {
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
            List<T> out = new ArrayList<>();
            try {
                for (int devId : devIds) {
                    lvm.run("Reading the mappings of " + vg + "/" + thinPool,
                            LvmCommands.thinDump("/dev/mapper/" + pool + "_tmeta", xml.toString(), devId));
                    out.add(parse.apply(xml));
                }
            } finally {
                lvm.run("Releasing the metadata snapshot of " + vg + "/" + thinPool, LvmCommands.metadataSnap(target, false));
            }
            return out;
        } finally {
            try {
                Files.deleteIfExists(xml);
            } catch (IOException ignored) {
                // a temporary file; nothing depends on it
            }
        }
    }
}
