package org.qubesstorage.copy.fs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A set of block numbers kept as merged runs. */
final class BlockRuns {
    private final TreeMap<Long, Long> runs = new TreeMap<>();

    /** Adds blocks {@code [start, start + count)}. */
    void add(long start, long count) {
        if (count <= 0) {
            return;
        }
        long end = start + count;
        Map.Entry<Long, Long> before = runs.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
        }
        Map.Entry<Long, Long> next = runs.ceilingEntry(start);
        while (next != null && next.getKey() <= end) {
            end = Math.max(end, next.getValue());
            runs.remove(next.getKey());
            next = runs.ceilingEntry(start);
        }
        runs.put(start, end);
    }

    /** The runs as {@code [start, end)} pairs, in order. */
    List<long[]> runs() {
        List<long[]> out = new ArrayList<>();
        for (Map.Entry<Long, Long> e : runs.entrySet()) {
            out.add(new long[] {e.getKey(), e.getValue()});
        }
        return out;
    }
}
