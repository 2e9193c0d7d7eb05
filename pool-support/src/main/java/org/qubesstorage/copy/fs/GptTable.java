package org.qubesstorage.copy.fs;

import static org.qubesstorage.copy.fs.DiskReader.u32;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;
import org.qubesstorage.linux.NativeFile;

/**
 * A GUID partition table (template root images are GPT disks with an ext4 root partition). Only a
 * table whose header and entry CRCs check out and whose partitions fit the disk without overlapping
 * is returned; anything else is treated as "not a GPT disk".
 */
public record GptTable(int sectorSize, List<Partition> partitions) {

    /** One used partition entry: its 1-based number and byte range {@code [start, end)}. */
    public record Partition(int number, long start, long end) {}

    private static final long SIGNATURE = 0x5452415020494645L; // "EFI PART" little-endian

    public static Optional<GptTable> read(NativeFile disk, long size) {
        for (int sector : new int[] {512, 4096}) {
            Optional<GptTable> t = readAt(disk, size, sector);
            if (t.isPresent()) {
                return t;
            }
        }
        return Optional.empty();
    }

    private static Optional<GptTable> readAt(NativeFile disk, long size, int sector) {
        if (size < 3L * sector) {
            return Optional.empty();
        }
        ByteBuffer h = DiskReader.read(disk, sector, 92);
        if (h == null || h.getLong(0) != SIGNATURE) {
            return Optional.empty();
        }
        int headerSize = h.getInt(12);
        if (headerSize < 92 || headerSize > sector) {
            return Optional.empty();
        }
        ByteBuffer full = DiskReader.read(disk, sector, headerSize);
        long storedCrc = u32(full, 16);
        full.putInt(16, 0);
        CRC32 crc = new CRC32();
        crc.update(full.array(), 0, headerSize);
        if (crc.getValue() != storedCrc) {
            return Optional.empty();
        }
        long entriesLba = h.getLong(72);
        long count = u32(h, 80);
        long entrySize = u32(h, 84);
        if (entrySize < 128 || count > 4096 || entriesLba < 2 || (entriesLba + 1) * sector > size) {
            return Optional.empty();
        }
        ByteBuffer entries = DiskReader.read(disk, entriesLba * sector, (int) (count * entrySize));
        if (entries == null) {
            return Optional.empty();
        }
        CRC32 ecrc = new CRC32();
        ecrc.update(entries.array(), 0, (int) (count * entrySize));
        if (ecrc.getValue() != u32(h, 88)) {
            return Optional.empty();
        }
        List<Partition> parts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int base = (int) (i * entrySize);
            if (entries.getLong(base) == 0 && entries.getLong(base + 8) == 0) {
                continue;
            }
            long first = entries.getLong(base + 32);
            long last = entries.getLong(base + 40);
            if (first <= entriesLba || last < first || (last + 1) * sector > size) {
                return Optional.empty();
            }
            parts.add(new Partition(i + 1, first * sector, (last + 1) * sector));
        }
        parts.sort(Comparator.comparingLong(Partition::start));
        for (int i = 1; i < parts.size(); i++) {
            if (parts.get(i).start() < parts.get(i - 1).end()) {
                return Optional.empty();
            }
        }
        return Optional.of(new GptTable(sector, List.copyOf(parts)));
    }
}
