package org.qubesstorage.dedup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Fixed-width records of longs spread over bucket files in a work directory, so that a scan of any
 * size holds in memory only one bucket at a time (its records are written as they come, then read
 * back bucket by bucket). The caller picks the bucket; {@link #close()} deletes the files. Writers
 * on several threads hand over batches with {@link #addAll}, which is synchronized.
 */
final class RecordBuckets implements AutoCloseable {
    private final Path dir;
    private final int width;
    private final FileChannel[] files;
    private final ByteBuffer[] buffers;
    private final long[] counts;
    private final int bufferBytes;

    /**
     * {@code buckets} files of records of {@code width} longs in a new directory under {@code
     * workDir}, whose write buffers together take at most a quarter of {@code memoryBytes}.
     */
    RecordBuckets(Path workDir, String name, int buckets, int width, long memoryBytes) {
        this.width = width;
        this.files = new FileChannel[buckets];
        this.buffers = new ByteBuffer[buckets];
        this.counts = new long[buckets];
        this.bufferBytes = (int) Math.clamp(memoryBytes / 4 / buckets / (width * 8L), 64, 8192) * width * 8;
        try {
            Files.createDirectories(workDir);
            this.dir = Files.createTempDirectory(workDir, name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot make a work directory in " + workDir + ": " + e.getMessage(), e);
        }
    }

    int buckets() {
        return files.length;
    }

    long records(int bucket) {
        return counts[bucket];
    }

    /** Appends one record (exactly {@code width} longs) to {@code bucket}. */
    synchronized void add(int bucket, long... record) {
        put(bucket, record, 0);
    }

    /**
     * Appends {@code count} records of {@code batch}, each preceded by its bucket: {@code [bucket,
     * long × width]} repeated.
     */
    synchronized void addAll(long[] batch, int count) {
        for (int i = 0, at = 0; i < count; i++, at += width + 1) {
            put((int) batch[at], batch, at + 1);
        }
    }

    private void put(int bucket, long[] record, int from) {
        ByteBuffer b = buffers[bucket];
        if (b == null) {
            b = buffers[bucket] = ByteBuffer.allocate(bufferBytes);
        } else if (b.remaining() < width * 8) {
            flush(bucket);
        }
        for (int i = 0; i < width; i++) {
            b.putLong(record[from + i]);
        }
        counts[bucket]++;
    }

    private void flush(int bucket) {
        ByteBuffer b = buffers[bucket];
        try {
            if (files[bucket] == null) {
                files[bucket] = FileChannel.open(dir.resolve(Integer.toString(bucket)), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
            }
            b.flip();
            while (b.hasRemaining()) {
                files[bucket].write(b);
            }
            b.clear();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Ends writing; then {@link #load(int)} may be called. */
    synchronized void finishWriting() {
        for (int i = 0; i < files.length; i++) {
            if (buffers[i] != null) {
                flush(i);
                buffers[i] = null;
            }
            if (files[i] != null) {
                try {
                    files[i].close();
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot write to " + dir + ": " + e.getMessage(), e);
                }
                files[i] = null;
            }
        }
    }

    /** The records of {@code bucket}, {@code width} longs each, in the order written. */
    long[] load(int bucket) {
        if (counts[bucket] == 0) {
            return new long[0];
        }
        long longs = counts[bucket] * width;
        if (longs > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("bucket " + bucket + " holds " + counts[bucket] + " records: more buckets are needed");
        }
        long[] records = new long[(int) longs];
        try (FileChannel in = FileChannel.open(dir.resolve(Integer.toString(bucket)), StandardOpenOption.READ)) {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            int at = 0;
            while (at < records.length) {
                chunk.clear();
                int n = in.read(chunk);
                if (n < 0) {
                    throw new IllegalStateException("bucket " + bucket + " is shorter than written");
                }
                chunk.flip();
                int whole = chunk.remaining() / 8;
                chunk.asLongBuffer().get(records, at, whole);
                at += whole;
                // A read may end inside a long: carry the partial bytes over by re-reading them.
                int partial = chunk.remaining() - whole * 8;
                if (partial > 0) {
                    in.position(in.position() - partial);
                }
            }
            return records;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read back " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        finishWriting();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }
}
