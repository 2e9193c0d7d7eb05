package org.qubesstorage.copy;

import java.util.ArrayList;
import java.util.List;
import org.qubesstorage.linux.DataMap.Extent;

/** Operations on sorted, non-overlapping lists of byte ranges. */
final class Ranges {
    private Ranges() {}

    /** The ranges covered by both {@code a} and {@code b} (both sorted and non-overlapping). */
    static List<Extent> intersect(List<Extent> a, List<Extent> b) {
        List<Extent> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.size() && j < b.size()) {
            Extent x = a.get(i);
            Extent y = b.get(j);
            long start = Math.max(x.start(), y.start());
            long end = Math.min(x.end(), y.end());
            if (start < end) {
                out.add(new Extent(start, end));
            }
            if (x.end() < y.end()) {
                i++;
            } else {
                j++;
            }
        }
        return out;
    }

    /** Sorts and merges touching or overlapping ranges. */
    static List<Extent> normalize(List<Extent> ranges) {
        List<Extent> sorted = new ArrayList<>(ranges);
        sorted.sort(java.util.Comparator.comparingLong(Extent::start));
        List<Extent> out = new ArrayList<>();
        for (Extent e : sorted) {
            if (e.length() == 0) {
                continue;
            }
            if (!out.isEmpty() && out.getLast().end() >= e.start()) {
                Extent last = out.removeLast();
                out.add(new Extent(last.start(), Math.max(last.end(), e.end())));
            } else {
                out.add(e);
            }
        }
        return out;
    }
}
