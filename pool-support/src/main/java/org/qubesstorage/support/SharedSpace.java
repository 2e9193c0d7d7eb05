package org.qubesstorage.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.linux.ContainedFiles;
import org.qubesstorage.linux.DataMap;
import org.qubesstorage.linux.Fiemap;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.spi.SpaceUse;

/**
 * Exclusive and shared bytes of volumes from where their data lies: the extents of their files
 * ({@code file}, {@code file-reflink}, through FIEMAP) or a thin pool's data blocks. Storage
 * referenced by two volumes is shared by both; storage referenced only by a volume's own files (its
 * image and a revision that is a reflink of it) is exclusive to it, unless the file system flags it
 * shared with something outside the pool (a btrfs snapshot, a reflink copy elsewhere). Where the
 * file system has no FIEMAP (tmpfs) nothing can be shared and every allocated byte is exclusive.
 */
public final class SharedSpace {
    private SharedSpace() {}

    /**
     * One reference to storage: a physical byte range {@code [start, end)}, the volume it belongs
     * to, and whether the storage itself says something else references it too.
     */
    public record Reference(long start, long end, String owner, boolean flagged) {}

    private record Piece(long start, long end, int owner, boolean flagged) {}

    /**
     * The space of each volume, by vid, whose files are {@code filesByVid} (each a regular file
     * beneath {@code dir}, opened without following links).
     */
    public static Map<String, SpaceUse> measure(Path dir, Map<String, List<Path>> filesByVid) {
        Map<String, Long> unlocated = new LinkedHashMap<>();
        List<Reference> references = new ArrayList<>();
        filesByVid.forEach((vid, files) -> {
            long bytes = 0;
            for (Path file : files) {
                try (NativeFile f = ContainedFiles.openRead(dir, file)) {
                    Optional<List<Fiemap.Extent>> map = Fiemap.of(f);
                    if (map.isEmpty()) {
                        bytes += DataMap.total(DataMap.of(f, ImageCopy.size(file)));
                        continue;
                    }
                    for (Fiemap.Extent e : map.get()) {
                        if (e.located()) {
                            references.add(new Reference(e.physical(), e.physical() + e.length(), vid, e.shared()));
                        } else {
                            bytes += e.length();
                        }
                    }
                }
            }
            unlocated.put(vid, bytes);
        });
        return book(references, unlocated);
    }

    /**
     * The space of each owner from its references to storage (any driver's: a thin pool's data
     * blocks too), plus {@code unlocated} bytes per owner that nothing can share. Owners that
     * appear only in {@code references} are counted (they make storage shared) and reported too.
     */
    public static Map<String, SpaceUse> book(List<Reference> references, Map<String, Long> unlocated) {
        List<String> owners = new ArrayList<>(unlocated.keySet());
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < owners.size(); i++) {
            index.put(owners.get(i), i);
        }
        List<Piece> pieces = new ArrayList<>(references.size());
        for (Reference r : references) {
            int o = index.computeIfAbsent(r.owner(), k -> {
                owners.add(k);
                return owners.size() - 1;
            });
            pieces.add(new Piece(r.start(), r.end(), o, r.flagged()));
        }
        long[] exclusive = new long[owners.size()];
        for (int i = 0; i < owners.size(); i++) {
            exclusive[i] = unlocated.getOrDefault(owners.get(i), 0L);
        }
        long[] shared = new long[owners.size()];
        sweep(pieces, owners.size(), exclusive, shared);
        Map<String, SpaceUse> out = new LinkedHashMap<>();
        for (int o = 0; o < owners.size(); o++) {
            out.put(owners.get(o), new SpaceUse(exclusive[o] + shared[o], exclusive[o], shared[o]));
        }
        return out;
    }

    /**
     * Walks the physical ranges in order, keeping which volumes reference the stretch under the
     * cursor, and books each stretch to them: exclusive to a single volume, shared by several.
     */
    private static void sweep(List<Piece> pieces, int ownerCount, long[] exclusive, long[] shared) {
        long[] events = new long[pieces.size() * 2];
        for (int i = 0; i < pieces.size(); i++) {
            events[2 * i] = pieces.get(i).start() << 1 | 1; // starts sort after ends at the same place
            events[2 * i + 1] = pieces.get(i).end() << 1;
        }
        // Each event also needs its piece; sort indexes by position instead of the packed longs.
        Integer[] order = new Integer[events.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(events[a], events[b]));
        int[] refs = new int[ownerCount];
        int flagged = 0;
        Map<Integer, Integer> active = new HashMap<>();
        long previous = 0;
        for (int idx : order) {
            long position = events[idx] >>> 1;
            if (position > previous && !active.isEmpty()) {
                long length = position - previous;
                if (active.size() > 1) {
                    for (int o : active.keySet()) {
                        shared[o] += length;
                    }
                } else {
                    int o = active.keySet().iterator().next();
                    // Referenced once here but flagged shared: something outside the pool holds it too.
                    if (flagged > 0 && refs[o] == 1) {
                        shared[o] += length;
                    } else {
                        exclusive[o] += length;
                    }
                }
            }
            previous = position;
            Piece p = pieces.get(idx / 2);
            boolean start = (events[idx] & 1) == 1;
            int delta = start ? 1 : -1;
            refs[p.owner()] += delta;
            flagged += p.flagged() ? delta : 0;
            if (refs[p.owner()] == 0) {
                active.remove(p.owner());
            } else {
                active.put(p.owner(), refs[p.owner()]);
            }
        }
    }
}
