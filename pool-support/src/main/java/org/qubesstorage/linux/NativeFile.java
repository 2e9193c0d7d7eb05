package org.qubesstorage.linux;

import static java.util.Objects.requireNonNull;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.qubesstorage.spi.StorageException;

/**
 * An open file descriptor with the calls the storage code needs: positional I/O into native memory,
 * the sparse data map, hole punching, truncation, syncing and block-device ioctls.
 *
 * <p>Not thread-safe to close; positional reads and writes from several threads at once are fine
 * (that is what {@code pread}/{@code pwrite} are for).
 */
public final class NativeFile implements AutoCloseable {
    private final Path path;
    private final int fd;
    private final boolean direct;
    private volatile boolean closed;

    private NativeFile(Path path, int fd, boolean direct) {
        this.path = path;
        this.fd = fd;
        this.direct = direct;
    }

    /** Opens for reading. */
    public static NativeFile openRead(Path path) {
        return open(path, Libc.O_RDONLY, 0, false);
    }

    /** Opens a directory (for {@link #fsync()}). */
    public static NativeFile openDirectory(Path path) {
        return open(path, Libc.O_RDONLY | Libc.O_DIRECTORY, 0, false);
    }

    /** Opens an existing file or device for reading and writing. */
    public static NativeFile openReadWrite(Path path) {
        return open(path, Libc.O_RDWR, 0, false);
    }

    /** Creates a new file (failing if it exists) with {@code mode}, for writing. */
    public static NativeFile create(Path path, int mode) {
        return open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL, mode, false);
    }

    /**
     * Opens an existing file or device for writing with {@code O_DIRECT}, or without it where the
     * file system refuses (tmpfs): check {@link #isDirect()}.
     */
    public static NativeFile openWriteDirect(Path path) {
        try {
            return open(path, Libc.O_WRONLY | Libc.O_DIRECT, 0, true);
        } catch (DirectRefused e) {
            return open(path, Libc.O_WRONLY, 0, false);
        }
    }

    /**
     * Opens for reading with {@code O_DIRECT}, or without it where the file system refuses: check
     * {@link #isDirect()}. Direct reads must use aligned offsets, lengths and buffers; a read
     * reaching past the end of the file returns what there is.
     */
    public static NativeFile openReadDirect(Path path) {
        try {
            return open(path, Libc.O_RDONLY | Libc.O_DIRECT, 0, true);
        } catch (DirectRefused e) {
            return open(path, Libc.O_RDONLY, 0, false);
        }
    }

    private static final class DirectRefused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DirectRefused() {
            super(null, null, false, false);
        }
    }

    private static NativeFile open(Path path, int flags, int mode, boolean direct) {
        requireNonNull(path, "path");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = arena.allocateFrom(path.toString());
            int fd;
            do {
                fd = Libc.open(cpath, flags | Libc.O_CLOEXEC, mode);
            } while (fd < 0 && Libc.errno() == Libc.EINTR);
            if (fd < 0) {
                int errno = Libc.errno();
                if (direct && errno == Libc.EINVAL) {
                    throw new DirectRefused();
                }
                throw SyscallException.of("open", path, errno);
            }
            return new NativeFile(path, fd, direct);
        }
    }

    /** Wraps a descriptor opened elsewhere in this package; the new object owns and closes it. */
    static NativeFile adopt(Path path, int fd, boolean direct) {
        return new NativeFile(path, fd, direct);
    }

    public Path path() {
        return path;
    }

    /** Whether I/O bypasses the page cache (then offsets, lengths and buffers must be aligned). */
    public boolean isDirect() {
        return direct;
    }

    int fd() {
        ensureOpen();
        return fd;
    }

    /** Reads up to {@code length} bytes at {@code offset} into {@code buffer}; fewer only at end of file. */
    public long readFully(MemorySegment buffer, long length, long offset) {
        long done = 0;
        while (done < length) {
            long n = Libc.pread(fd(), buffer.asSlice(done), length - done, offset + done);
            if (n < 0) {
                int errno = Libc.errno();
                if (errno == Libc.EINTR) {
                    continue;
                }
                throw SyscallException.of("pread", path + " at " + (offset + done), errno);
            }
            if (n == 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    /** Writes exactly {@code length} bytes of {@code buffer} at {@code offset}. */
    public void writeFully(MemorySegment buffer, long length, long offset) {
        long done = 0;
        while (done < length) {
            long n = Libc.pwrite(fd(), buffer.asSlice(done), length - done, offset + done);
            if (n < 0) {
                int errno = Libc.errno();
                if (errno == Libc.EINTR) {
                    continue;
                }
                throw SyscallException.of("pwrite", path + " at " + (offset + done), errno);
            }
            done += n;
        }
    }

    /** The next offset at or after {@code offset} holding data; empty past the last data. */
    public OptionalLong seekData(long offset) {
        return seek(offset, Libc.SEEK_DATA, "lseek(SEEK_DATA)");
    }

    /** The next hole at or after {@code offset} (the end of the file counts as a hole). */
    public OptionalLong seekHole(long offset) {
        return seek(offset, Libc.SEEK_HOLE, "lseek(SEEK_HOLE)");
    }

    private OptionalLong seek(long offset, int whence, String call) {
        long r = Libc.lseek(fd(), offset, whence);
        if (r < 0) {
            int errno = Libc.errno();
            if (errno == Libc.ENXIO) {
                return OptionalLong.empty();
            }
            throw SyscallException.of(call, path + " at " + offset, errno);
        }
        return OptionalLong.of(r);
    }

    /** Tells the kernel the file will be read sequentially (a larger readahead window); advisory only. */
    public void adviseSequential() {
        Libc.fadvise(fd(), 0, 0, Libc.POSIX_FADV_SEQUENTIAL);
    }

    /** Whether the file system answers SEEK_DATA (some, and pipes, do not). */
    public boolean supportsDataMap() {
        long r = Libc.lseek(fd(), 0, Libc.SEEK_DATA);
        return r >= 0 || Libc.errno() == Libc.ENXIO;
    }

    /** Deallocates a range, which then reads as zeros; the file size stays. */
    public void punchHole(long offset, long length) {
        fallocate(Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length, "fallocate(PUNCH_HOLE)");
    }

    /** Makes a range read as zeros, allocated (where the file system supports it). */
    public void zeroRange(long offset, long length) {
        fallocate(Libc.FALLOC_FL_ZERO_RANGE | Libc.FALLOC_FL_KEEP_SIZE, offset, length, "fallocate(ZERO_RANGE)");
    }

    private void fallocate(int mode, long offset, long length, String call) {
        if (length == 0) {
            return;
        }
        int r;
        do {
            r = Libc.fallocate(fd(), mode, offset, length);
        } while (r < 0 && Libc.errno() == Libc.EINTR);
        if (r < 0) {
            throw SyscallException.of(call, path + " [" + offset + ", +" + length + ")", Libc.errno());
        }
    }

    /** Sets the file's size; growing adds a hole. */
    public void truncate(long size) {
        if (Libc.ftruncate(fd(), size) < 0) {
            throw SyscallException.of("ftruncate", path + " to " + size, Libc.errno());
        }
    }

    /** Flushes data and metadata to stable storage (for a directory: its entries). */
    public void fsync() {
        if (Libc.fsync(fd()) < 0) {
            throw SyscallException.of("fsync", path, Libc.errno());
        }
    }

    /** Flushes data (and the metadata needed to read it back). */
    public void fdatasync() {
        if (Libc.fdatasync(fd()) < 0) {
            throw SyscallException.of("fdatasync", path, Libc.errno());
        }
    }

    /** The size in bytes of a block device ({@code BLKGETSIZE64}). */
    public long blockDeviceSize() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(8, 8);
            if (Libc.ioctl(fd(), Libc.BLKGETSIZE64, out) < 0) {
                throw SyscallException.of("ioctl(BLKGETSIZE64)", path, Libc.errno());
            }
            return out.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
        }
    }

    /** Discards a range of a block device ({@code BLKDISCARD}). */
    public void discard(long offset, long length) {
        rangeIoctl(Libc.BLKDISCARD, "ioctl(BLKDISCARD)", offset, length);
    }

    /** Writes zeros over a range of a block device, letting the device do it ({@code BLKZEROOUT}). */
    public void zeroOut(long offset, long length) {
        rangeIoctl(Libc.BLKZEROOUT, "ioctl(BLKZEROOUT)", offset, length);
    }

    private void rangeIoctl(long request, String call, long offset, long length) {
        if (length == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment range = arena.allocate(16, 8);
            range.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, offset);
            range.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, length);
            if (Libc.ioctl(fd(), request, range) < 0) {
                throw SyscallException.of(call, path + " [" + offset + ", +" + length + ")", Libc.errno());
            }
        }
    }

    /** Tells a loop device to re-read its backing file's size ({@code LOOP_SET_CAPACITY}). */
    public void loopSetCapacity() {
        if (Libc.ioctl(fd(), Libc.LOOP_SET_CAPACITY, 0L) < 0) {
            throw SyscallException.of("ioctl(LOOP_SET_CAPACITY)", path, Libc.errno());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new StorageException(org.qubesstorage.spi.ErrorCode.BACKEND_FAILURE, "File " + path + " is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (Libc.close(fd) < 0 && Libc.errno() != Libc.EINTR) {
                throw SyscallException.of("close", path, Libc.errno());
            }
        }
    }
}
