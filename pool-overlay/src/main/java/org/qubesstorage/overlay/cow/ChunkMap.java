package org.qubesstorage.overlay.cow;

import java.util.Arrays;

/**
 * Origin chunk → store chunk, for every exception of a store: an open-addressing table of
 * primitive longs, since a layer over a large volume has hundreds of thousands of exceptions
 * (a 10 GiB origin in 16 KiB chunks: 655,360), which boxed maps would hold in ten times the memory.
 * Not thread-safe: its store guards it.
 */
final class ChunkMap {
    private static final long EMPTY = -1;
    private long[] keys;
    private long[] values;
    private int size;

    ChunkMap() {
        keys = new long[64];
        values = new long[64];
        Arrays.fill(keys, EMPTY);
    }

    int size() {
        return size;
    }

    /** The store chunk of {@code key}, or -1 when it has none. */
    long get(long key) {
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == EMPTY) {
                return -1;
            }
        }
    }

    /** Adds {@code key → value}; false (and nothing changed) when {@code key} has a value already. */
    boolean putNew(long key, long value) {
        if (key < 0 || value < 0) {
            throw new IllegalArgumentException("chunk numbers are not negative: " + key + " -> " + value);
        }
        if ((size + 1) * 2L > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return false;
            }
            if (keys[i] == EMPTY) {
                keys[i] = key;
                values[i] = value;
                size++;
                return true;
            }
        }
    }

    /** The keys in ascending order. */
    long[] sortedKeys() {
        long[] out = new long[size];
        int n = 0;
        for (long k : keys) {
            if (k != EMPTY) {
                out[n++] = k;
            }
        }
        Arrays.sort(out);
        return out;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                putNew(oldKeys[i], oldValues[i]);
            }
        }
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L; // Fibonacci hashing: consecutive chunks spread out
        return (int) (h >>> 32) & mask;
    }
}
