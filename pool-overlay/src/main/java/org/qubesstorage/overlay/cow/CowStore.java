package org.qubesstorage.overlay.cow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;

/**
 * One exception store file (a layer): opened, read and appended to in the kernel's persistent
 * format (see the package documentation), so that the kernel's {@code snapshot} target and this
 * class can take turns on the same file.
 *
 * <p>Appending follows the kernel's order, which is what makes a crash harmless: a chunk's data
 * is written (and made durable) before the metadata area that names it, the area is rewritten
 * whole, and when an area fills the next one is zeroed on disk before the full one is written, so
 * a reader always finds the table's end. Data written after the last {@link #commit()} is not
 * named by any area and reads as if never written. Not thread-safe; one writer at a time (the
 * driver's volume lock), and never while the kernel has the file open as a snapshot's store.
 */
public final class CowStore implements AutoCloseable {
    /** {@code SNAP_MAGIC}: the bytes "SnAp" read as a little-endian word. */
    static final int MAGIC = 0x70416e53;
    /** {@code SNAPSHOT_DISK_VERSION}. */
    static final int VERSION = 1;

    private final Path path;
    private final FileChannel channel;
    private final boolean writable;
    private final CowGeometry geometry;
    private final ChunkMap exceptions = new ChunkMap();
    /** The area new exceptions go to, and its entries as on disk (zeros after the last). */
    private long currentArea;
    private int currentCommitted;
    private final ByteBuffer area;
    /** Exceptions in {@link #area} not yet written to disk. */
    private boolean areaDirty;
    private long nextFree;

    private CowStore(Path path, FileChannel channel, boolean writable, CowGeometry geometry) {
        this.path = path;
        this.channel = channel;
        this.writable = writable;
        this.geometry = geometry;
        this.area = ByteBuffer.allocate(geometry.chunkBytes()).order(ByteOrder.LITTLE_ENDIAN);
        this.nextFree = geometry.firstDataChunk();
    }

    /**
     * Creates a new, empty store at {@code path} (which must not exist) for an origin of
     * {@code originBytes}: the header, a zeroed first area (what the kernel writes for a new
     * snapshot), and the file extended, sparsely, to {@link CowGeometry#capacityBytes}.
     */
    public static CowStore create(Path path, CowGeometry geometry, long originBytes) {
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            CowStore store = new CowStore(path, ch, true, geometry);
            try {
                store.writeHeader();
                store.writeChunk(geometry.areaChunk(0), ByteBuffer.allocate(geometry.chunkBytes()));
                store.extendTo(geometry.capacityBytes(originBytes));
                ch.force(true);
                return store;
            } catch (IOException | RuntimeException e) {
                store.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the layer " + path + ": " + e.getMessage(), e);
        }
    }

    /** Opens the store at {@code path}, reading its whole table as the kernel does at activation. */
    public static CowStore open(Path path, boolean writable) {
        Set<StandardOpenOption> options = writable ? EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE)
                : EnumSet.of(StandardOpenOption.READ);
        FileChannel ch;
        try {
            ch = FileChannel.open(path, options);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the layer " + path + ": " + e.getMessage(), e);
        }
        try {
            ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, header, 0);
            header.flip();
            int magic = header.getInt();
            int valid = header.getInt();
            int version = header.getInt();
            int chunkSectors = header.getInt();
            if (magic != MAGIC) {
                throw new CowFormatException(path, magic == 0 ? "no exception store header (a store the kernel has not set up yet)"
                        : String.format("not a dm-snapshot exception store (magic %08x)", magic));
            }
            if (version != VERSION) {
                throw new CowFormatException(path, "exception store version " + version + "; only version 1 exists");
            }
            if (valid == 0) {
                throw new CowFormatException(path, "the exception store was invalidated (it overflowed or was dropped): its data is incomplete");
            }
            CowGeometry geometry;
            try {
                geometry = new CowGeometry(chunkSectors);
            } catch (IllegalArgumentException e) {
                throw new CowFormatException(path, "bad chunk size in the header: " + e.getMessage());
            }
            CowStore store = new CowStore(path, ch, writable, geometry);
            store.readTable();
            return store;
        } catch (IOException e) {
            close(ch);
            throw new UncheckedIOException("Cannot read the layer " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close(ch);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public CowGeometry geometry() {
        return geometry;
    }

    /** The origin chunks this layer holds. */
    public int exceptionCount() {
        return exceptions.size();
    }

    /** Whether this layer holds origin chunk {@code originChunk}. */
    public boolean holds(long originChunk) {
        return exceptions.get(originChunk) >= 0;
    }

    /** Where in this store (in chunks from its start) origin chunk {@code originChunk} is, or -1 if it holds none. */
    public long storeChunk(long originChunk) {
        return exceptions.get(originChunk);
    }

    /** The origin chunks this layer holds, ascending. */
    public long[] heldChunks() {
        return exceptions.sortedKeys();
    }

    /**
     * The bytes of the store in use: header, metadata areas up to the current one, and one chunk
     * per exception. What the file allocates can be less (chunks the kernel never wrote whole).
     */
    public long usedBytes() {
        return (1 + currentArea + 1 + (long) exceptions.size()) * geometry.chunkBytes();
    }

    /**
     * Reads origin chunk {@code originChunk} as this layer holds it into {@code dst} (which must
     * have a whole chunk remaining); false, with {@code dst} untouched, when the layer does not hold it.
     */
    public boolean read(long originChunk, ByteBuffer dst) {
        long at = exceptions.get(originChunk);
        if (at < 0) {
            return false;
        }
        try {
            ByteBuffer view = dst.slice(dst.position(), geometry.chunkBytes());
            readFully(channel, view, at * geometry.chunkBytes());
            int read = view.position();
            if (read < geometry.chunkBytes()) {
                throw new CowFormatException(path, "data chunk " + at + " (origin chunk " + originChunk + ") lies past the end of the file");
            }
            dst.position(dst.position() + geometry.chunkBytes());
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the layer " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Makes origin chunk {@code originChunk} read as {@code data} (a whole chunk): in place when
     * the layer holds it already, else in the next free data chunk, named by the current area at
     * the next {@link #commit()} (or sooner, when the area fills).
     */
    public void write(long originChunk, ByteBuffer data) {
        requireWritable();
        if (data.remaining() != geometry.chunkBytes()) {
            throw new IllegalArgumentException("a write is one whole chunk (" + geometry.chunkBytes() + " bytes), not " + data.remaining());
        }
        try {
            long at = exceptions.get(originChunk);
            if (at >= 0) {
                writeChunk(at, data);
                return;
            }
            at = nextFree;
            writeChunk(at, data);
            nextFree = at + 1;
            if (geometry.isMetadata(nextFree)) {
                nextFree++;
            }
            exceptions.putNew(originChunk, at);
            area.putLong(currentCommitted * CowGeometry.EXCEPTION_BYTES, originChunk);
            area.putLong(currentCommitted * CowGeometry.EXCEPTION_BYTES + 8, at);
            currentCommitted++;
            areaDirty = true;
            if (currentCommitted == geometry.exceptionsPerArea()) {
                commit();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the layer " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Makes every write so far durable and named by the table: the data first, then the area
     * (the next area zeroed first if this one is full), then the area itself made durable.
     */
    public void commit() {
        requireWritable();
        try {
            if (areaDirty) {
                channel.force(false);
                boolean full = currentCommitted == geometry.exceptionsPerArea();
                if (full) {
                    writeChunk(geometry.areaChunk(currentArea + 1), ByteBuffer.allocate(geometry.chunkBytes()));
                }
                writeChunk(geometry.areaChunk(currentArea), area.duplicate().clear());
                channel.force(false);
                areaDirty = false;
                if (full) {
                    currentArea++;
                    currentCommitted = 0;
                    area.clear();
                    area.put(new byte[geometry.chunkBytes()]).clear();
                }
            } else {
                channel.force(false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot commit the layer " + path + ": " + e.getMessage(), e);
        }
    }

    /** Closes the file; writes not {@link #commit() committed} are not part of the layer. */
    @Override
    public void close() {
        close(channel);
    }

    // ---- reading the table -------------------------------------------------------------------

    /** Reads areas until one that is not full, as the kernel's {@code read_exceptions}. */
    private void readTable() throws IOException {
        long fileChunks = channel.size() / geometry.chunkBytes();
        int perArea = geometry.exceptionsPerArea();
        long maxNew = geometry.firstDataChunk() - 1;
        for (long a = 0; ; a++) {
            long chunk = geometry.areaChunk(a);
            if (chunk >= fileChunks) {
                throw new CowFormatException(path, "metadata area " + a + " (chunk " + chunk + ") lies past the end of the file: the table"
                        + " has no end");
            }
            area.clear();
            readFully(channel, area, chunk * geometry.chunkBytes());
            int i = 0;
            for (; i < perArea; i++) {
                long oldChunk = area.getLong(i * CowGeometry.EXCEPTION_BYTES);
                long newChunk = area.getLong(i * CowGeometry.EXCEPTION_BYTES + 8);
                if (newChunk == 0) {
                    break;
                }
                if (newChunk < 0 || newChunk >= fileChunks || geometry.isMetadata(newChunk) || oldChunk < 0) {
                    throw new CowFormatException(path, "area " + a + " entry " + i + " maps origin chunk " + oldChunk + " to chunk "
                            + newChunk + ", which is not a data chunk of this file");
                }
                if (!exceptions.putNew(oldChunk, newChunk)) {
                    throw new CowFormatException(path, "area " + a + " entry " + i + " maps origin chunk " + oldChunk + " a second time");
                }
                maxNew = Math.max(maxNew, newChunk);
            }
            if (i < perArea) {
                currentArea = a;
                currentCommitted = i;
                break;
            }
        }
        // As the kernel: exceptions may have been committed out of order, so the next free chunk
        // follows the highest one in use, skipping a metadata chunk.
        nextFree = maxNew + 1;
        if (geometry.isMetadata(nextFree)) {
            nextFree++;
        }
    }

    // ---- low level ---------------------------------------------------------------------------

    private void writeHeader() throws IOException {
        ByteBuffer header = ByteBuffer.allocate(geometry.chunkBytes()).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(MAGIC).putInt(1).putInt(VERSION).putInt(geometry.chunkSectors()).clear();
        writeChunk(0, header);
    }

    private void writeChunk(long chunk, ByteBuffer data) throws IOException {
        long pos = chunk * geometry.chunkBytes();
        ByteBuffer b = data.duplicate();
        while (b.hasRemaining()) {
            pos += channel.write(b, pos);
        }
    }

    /** Grows the file (sparsely) to at least {@code bytes}. */
    private void extendTo(long bytes) throws IOException {
        if (channel.size() < bytes) {
            // One zero byte at the end: the file system allocates that block only, the rest is a hole.
            channel.write(ByteBuffer.allocate(1), bytes - 1);
        }
    }

    private void requireWritable() {
        if (!writable) {
            throw new IllegalStateException(path + " was opened read-only");
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                return;
            }
            pos += n;
        }
    }

    private static void close(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing was pending: writes are made durable by commit()
        }
    }
}
