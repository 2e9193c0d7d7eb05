package org.qubesstorage.overlay.cow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A volume as its chain composes it, read in Java: a base image and the layers over it, bottom to
 * top, each chunk read from the topmost layer that holds it, else from the base. This is what the
 * kernel's stack of {@code snapshot} targets shows, without device-mapper: {@link #exportTo} writes
 * the flat image (what export, backup and {@code qvm-to-lvm} read, and how a chain is flattened).
 *
 * <p>The chain only reads: it does not own the stores or the base (their owner closes them).
 */
public final class LayerChain {
    private final FileChannel base;
    private final long size;
    private final List<CowStore> layers;
    private final CowGeometry geometry;

    /**
     * @param base   the bottom image, read-only
     * @param size   the volume's size (the base may be shorter: it then reads as zeros past its end)
     * @param layers bottom to top; all of one chunk size
     */
    public LayerChain(FileChannel base, long size, List<CowStore> layers) {
        this.base = base;
        this.size = size;
        this.layers = List.copyOf(layers);
        if (this.layers.isEmpty()) {
            throw new IllegalArgumentException("a chain has at least one layer; a base alone is an image");
        }
        this.geometry = this.layers.getFirst().geometry();
        for (CowStore l : this.layers) {
            if (!l.geometry().equals(geometry)) {
                throw new IllegalArgumentException("layers of one chain share one chunk size: " + l.path() + " has "
                        + l.geometry().chunkSectors() + " sectors, " + this.layers.getFirst().path() + " " + geometry.chunkSectors());
            }
        }
    }

    public long size() {
        return size;
    }

    /** Reads chunk {@code chunk} of the composed volume into {@code dst} (a whole chunk remaining), as it reads. */
    public void readChunk(long chunk, ByteBuffer dst) {
        for (int i = layers.size() - 1; i >= 0; i--) {
            if (layers.get(i).read(chunk, dst)) {
                return;
            }
        }
        ByteBuffer view = dst.slice(dst.position(), geometry.chunkBytes());
        try {
            long pos = chunk * geometry.chunkBytes();
            while (view.hasRemaining()) {
                int n = base.read(view, pos);
                if (n < 0) {
                    break;
                }
                pos += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the base image: " + e.getMessage(), e);
        }
        while (view.hasRemaining()) {
            view.put((byte) 0); // past the base's end: the volume grew over it
        }
        dst.position(dst.position() + geometry.chunkBytes());
    }

    /**
     * The chunks whose content may differ from zero: every chunk some layer holds, and every chunk
     * of the base that {@code baseData} lists (the base's data extents, as offsets and ends in
     * bytes; null: all of the base).
     */
    public long[] chunksWithData(List<long[]> baseData) {
        TreeSet<Long> chunks = new TreeSet<>();
        long total = geometry.originChunks(size);
        for (CowStore l : layers) {
            for (long c : l.heldChunks()) {
                if (c < total) {
                    chunks.add(c);
                }
            }
        }
        long baseBytes;
        try {
            baseBytes = Math.min(base.size(), size);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the base image: " + e.getMessage(), e);
        }
        List<long[]> extents = baseData != null ? baseData : List.of(new long[] {0, baseBytes});
        for (long[] e : extents) {
            long end = Math.min(e[1], baseBytes);
            for (long c = e[0] / geometry.chunkBytes(); c * geometry.chunkBytes() < end; c++) {
                chunks.add(c);
            }
        }
        long[] out = new long[chunks.size()];
        int i = 0;
        for (long c : chunks) {
            out[i++] = c;
        }
        return out;
    }

    /**
     * Writes the composed volume to {@code target}, a new sparse file of the volume's size: only
     * chunks with data that are not all zeros are written, so holes stay holes. Durable on return.
     *
     * @param baseData the base's data extents ({@code [start, end)} in bytes; null: treat it all as data)
     */
    public void exportTo(Path target, List<long[]> baseData) {
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(geometry.chunkBytes());
            ByteBuffer zeros = ByteBuffer.allocateDirect(geometry.chunkBytes());
            for (long c : chunksWithData(baseData)) {
                buf.clear();
                readChunk(c, buf);
                buf.flip();
                long start = c * geometry.chunkBytes();
                buf.limit((int) Math.min(geometry.chunkBytes(), size - start));
                if (buf.mismatch(zeros.slice(0, buf.remaining())) == -1) {
                    continue;
                }
                long pos = start;
                while (buf.hasRemaining()) {
                    pos += out.write(buf, pos);
                }
            }
            out.truncate(size);
            if (out.size() < size) {
                out.write(ByteBuffer.allocate(1), size - 1); // a trailing hole: the file still has the volume's size
            }
            out.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot export to " + target + ": " + e.getMessage(), e);
        }
    }

    /** The layers, bottom to top. */
    public List<CowStore> layers() {
        return new ArrayList<>(layers);
    }
}
