package org.qubesstorage.overlay.cow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where each chunk of a chain's committed view lies: in the topmost layer that holds it, else in
 * the base image. Consecutive chunks that lie consecutively in one file form one segment, so a
 * chain's view is a short list of extents, which a start maps with one {@code linear} table
 * instead of a stack of snapshot targets: a read then costs one remapping, not one exception
 * lookup and one chunk-sized split per level (dm-snapshot sets {@code max_io_len} to its chunk size).
 */
public final class ChainSegments {
    /** {@link Segment#level()} of the base image. */
    public static final int BASE = -1;

    /**
     * {@code chunks} chunks of the view from {@code firstChunk} on, read from {@code level}
     * ({@link #BASE}, or the index of a layer, bottom first) from its chunk {@code sourceChunk} on.
     */
    public record Segment(long firstChunk, long chunks, int level, long sourceChunk) {}

    private ChainSegments() {}

    /**
     * The view of {@code layers} (bottom to top, all of one geometry) over a base of
     * {@code originChunks} chunks, as segments in view order covering every chunk once.
     *
     * @throws CowFormatException when a layer holds a chunk past the end of the view
     */
    public static List<Segment> compose(long originChunks, List<CowStore> layers) {
        long[] held = layers.stream().flatMapToLong(l -> Arrays.stream(l.heldChunks())).sorted().distinct().toArray();
        List<Segment> out = new ArrayList<>();
        long next = 0;
        for (long chunk : held) {
            if (chunk >= originChunks) {
                CowStore holder = layers.stream().filter(l -> l.holds(chunk)).findFirst().orElseThrow();
                throw new CowFormatException(holder.path(), "holds chunk " + chunk + " of a volume of " + originChunks + " chunks");
            }
            if (chunk > next) {
                append(out, new Segment(next, chunk - next, BASE, next));
            }
            int level = layers.size() - 1;
            while (!layers.get(level).holds(chunk)) {
                level--;
            }
            append(out, new Segment(chunk, 1, level, layers.get(level).storeChunk(chunk)));
            next = chunk + 1;
        }
        if (next < originChunks) {
            append(out, new Segment(next, originChunks - next, BASE, next));
        }
        return out;
    }

    private static void append(List<Segment> out, Segment s) {
        if (!out.isEmpty()) {
            Segment last = out.getLast();
            if (last.level() == s.level() && last.firstChunk() + last.chunks() == s.firstChunk()
                    && last.sourceChunk() + last.chunks() == s.sourceChunk()) {
                out.set(out.size() - 1, new Segment(last.firstChunk(), last.chunks() + s.chunks(), last.level(), last.sourceChunk()));
                return;
            }
        }
        out.add(s);
    }
}
