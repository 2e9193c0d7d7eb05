package org.qubesstorage.dedup;

/**
 * Sorts records stored side by side in one {@code long[]} ({@code width} longs each) by their
 * first {@code keys} longs, in place: no boxing and no second array whatever the bucket's size. A
 * quicksort (median of three, recursing into the smaller side so the stack stays logarithmic) with
 * insertion sort for short ranges; the keys are hashes, so adversarial orders do not occur, and a
 * heap sort takes over past a depth limit all the same.
 */
final class StridedSort {
    private static final int SHORT = 24;

    private StridedSort() {}

    static void sort(long[] a, int width, int keys) {
        int n = a.length / width;
        quick(a, width, keys, 0, n, 2 * (32 - Integer.numberOfLeadingZeros(Math.max(n, 1))));
    }

    /** Sorts records {@code [from, to)} only. */
    static void sort(long[] a, int width, int keys, int from, int to) {
        quick(a, width, keys, from, to, 2 * (32 - Integer.numberOfLeadingZeros(Math.max(to - from, 1))));
    }

    /** Compares record {@code i} with record {@code j} on the first {@code keys} longs. */
    static int compare(long[] a, int width, int keys, int i, int j) {
        for (int k = 0; k < keys; k++) {
            int c = Long.compare(a[i * width + k], a[j * width + k]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static void quick(long[] a, int w, int keys, int from, int to, int depth) {
        while (to - from > SHORT) {
            if (depth-- == 0) {
                heap(a, w, keys, from, to);
                return;
            }
            int mid = (from + to) >>> 1;
            // Median of three moved to 'from' as the pivot.
            if (compare(a, w, keys, mid, from) < 0) {
                swap(a, w, mid, from);
            }
            if (compare(a, w, keys, to - 1, from) < 0) {
                swap(a, w, to - 1, from);
            }
            if (compare(a, w, keys, to - 1, mid) < 0) {
                swap(a, w, to - 1, mid);
            }
            swap(a, w, from, mid);
            int i = from + 1;
            int j = to - 1;
            while (true) {
                while (i <= j && compare(a, w, keys, i, from) < 0) {
                    i++;
                }
                while (i <= j && compare(a, w, keys, j, from) > 0) {
                    j--;
                }
                if (i >= j) {
                    break;
                }
                swap(a, w, i++, j--);
            }
            swap(a, w, from, j);
            if (j - from < to - j - 1) {
                quick(a, w, keys, from, j, depth);
                from = j + 1;
            } else {
                quick(a, w, keys, j + 1, to, depth);
                to = j;
            }
        }
        for (int i = from + 1; i < to; i++) {
            for (int j = i; j > from && compare(a, w, keys, j, j - 1) < 0; j--) {
                swap(a, w, j, j - 1);
            }
        }
    }

    private static void heap(long[] a, int w, int keys, int from, int to) {
        int n = to - from;
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(a, w, keys, from, i, n);
        }
        for (int end = n - 1; end > 0; end--) {
            swap(a, w, from, from + end);
            siftDown(a, w, keys, from, 0, end);
        }
    }

    private static void siftDown(long[] a, int w, int keys, int base, int root, int n) {
        while (true) {
            int child = 2 * root + 1;
            if (child >= n) {
                return;
            }
            if (child + 1 < n && compare(a, w, keys, base + child + 1, base + child) > 0) {
                child++;
            }
            if (compare(a, w, keys, base + root, base + child) >= 0) {
                return;
            }
            swap(a, w, base + root, base + child);
            root = child;
        }
    }

    private static void swap(long[] a, int w, int i, int j) {
        for (int k = 0; k < w; k++) {
            long t = a[i * w + k];
            a[i * w + k] = a[j * w + k];
            a[j * w + k] = t;
        }
    }
}
