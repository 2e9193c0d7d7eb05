package org.qubesstorage.overlay.cow;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Folds one layer into the one below it as a new layer file: what a stop does with the changes a
 * run wrote (the session layer) and the volume's committed layer, producing its next revision.
 * Only the two layers' own chunks are read and written, never the parent's data, so its cost is
 * the volume's own changes, whatever the size of the chain beneath.
 */
public final class LayerMerge {
    private LayerMerge() {}

    /**
     * Writes to {@code target} (which must not exist) a layer holding every chunk of
     * {@code lower} and {@code upper}, each as {@code upper} has it where both hold it, in origin
     * order; committed and durable on return. On failure the caller removes {@code target}.
     *
     * @param originBytes the size of the volume the layers are of (it sizes the new file)
     */
    public static void merge(CowStore lower, CowStore upper, Path target, long originBytes) {
        if (!lower.geometry().equals(upper.geometry())) {
            throw new IllegalArgumentException("layers of different chunk sizes cannot be merged: " + lower.path() + ", " + upper.path());
        }
        CowGeometry g = lower.geometry();
        long[] chunks = union(lower.heldChunks(), upper.heldChunks());
        try (CowStore out = CowStore.create(target, g, originBytes)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(g.chunkBytes());
            for (long c : chunks) {
                buf.clear();
                if (!upper.read(c, buf)) {
                    lower.read(c, buf);
                }
                buf.flip();
                out.write(c, buf);
            }
            out.commit();
        }
    }

    private static long[] union(long[] a, long[] b) {
        long[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return Arrays.stream(all).sorted().distinct().toArray();
    }
}
