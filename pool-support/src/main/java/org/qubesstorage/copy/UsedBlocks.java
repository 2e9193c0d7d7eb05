package org.qubesstorage.copy;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.qubesstorage.copy.fs.Ext4UsedBlocks;
import org.qubesstorage.copy.fs.GptTable;
import org.qubesstorage.copy.fs.MountCheck;
import org.qubesstorage.linux.DataMap.Extent;
import org.qubesstorage.linux.NativeFile;

/**
 * The byte ranges of a source that a file-system-aware copy must move: the blocks a clean ext4 file
 * system uses, per GPT partition, plus everything outside recognised file systems. Empty (with the
 * reason) whenever skipping a block is not provably safe: the caller then copies all data.
 */
final class UsedBlocks {
    record Answer(Optional<List<Extent>> ranges, String reason) {
        Answer {
            requireNonNull(ranges, "ranges");
            requireNonNull(reason, "reason");
        }

        static Answer fallback(String reason) {
            return new Answer(Optional.empty(), reason);
        }
    }

    private UsedBlocks() {}

    static Answer of(NativeFile source, Path path, long size) {
        Optional<String> inUse = MountCheck.inUse(path);
        if (inUse.isPresent()) {
            return Answer.fallback(inUse.get());
        }
        Optional<GptTable> gpt = GptTable.read(source, size);
        if (gpt.isEmpty()) {
            Ext4UsedBlocks.Result fs = Ext4UsedBlocks.read(source, 0, size);
            return fs.ranges().map(r -> new Answer(Optional.of(r), "ext4"))
                    .orElseGet(() -> Answer.fallback(fs.reason()));
        }
        // Per partition: its used blocks when it holds a clean ext4, else all of it. Everything
        // outside the partitions (the tables, gaps) is copied as is.
        List<Extent> ranges = new ArrayList<>();
        long pos = 0;
        int recognised = 0;
        StringBuilder notes = new StringBuilder();
        for (GptTable.Partition p : gpt.get().partitions()) {
            if (p.start() > pos) {
                ranges.add(new Extent(pos, p.start()));
            }
            Ext4UsedBlocks.Result fs = Ext4UsedBlocks.read(source, p.start(), p.end() - p.start());
            if (fs.ranges().isPresent()) {
                ranges.addAll(fs.ranges().get());
                recognised++;
            } else {
                ranges.add(new Extent(p.start(), p.end()));
                notes.append("; partition ").append(p.number()).append(": ").append(fs.reason());
            }
            pos = Math.max(pos, p.end());
        }
        if (pos < size) {
            ranges.add(new Extent(pos, size));
        }
        if (recognised == 0) {
            return Answer.fallback("GPT disk with no clean ext4 partition" + notes);
        }
        return new Answer(Optional.of(Ranges.normalize(ranges)), "GPT, " + recognised + " ext4 partition(s)" + notes);
    }
}
