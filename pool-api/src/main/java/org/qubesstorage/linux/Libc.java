package org.qubesstorage.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc calls this package needs, bound once through {@link Linker} with {@code errno} captured
 * after each call (errno read later from Java would be clobbered by the JVM's own calls).
 *
 * <p>Every method returns the raw result; on -1 the errno is in the thread's capture segment,
 * read with {@link #errno()}. Callers turn it into a {@link SyscallException}.
 */
final class Libc {
    // x86_64 Linux open(2) flags.
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_TRUNC = 01000;
    static final int O_DIRECT = 040000;
    static final int O_DIRECTORY = 0200000;
    static final int O_CLOEXEC = 02000000;

    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;

    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int FALLOC_FL_ZERO_RANGE = 0x10;

    // ioctl request numbers (x86_64).
    static final long FICLONE = 0x40049409L;
    static final long FICLONERANGE = 0x4020940dL;
    static final long BLKGETSIZE64 = 0x80081272L;
    static final long BLKDISCARD = 0x1277L;
    static final long BLKZEROOUT = 0x127fL;
    static final long LOOP_SET_CAPACITY = 0x4C07L;

    // errno values.
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EXDEV = 18;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int ENOTTY = 25;
    static final int ENOSPC = 28;
    static final int ENXIO = 6;
    static final int EOPNOTSUPP = 95;
    static final int ETXTBSY = 26;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = bind("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE);
    private static final MethodHandle PREAD = bind("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), CAPTURE);
    private static final MethodHandle PWRITE = bind("pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), CAPTURE);
    private static final MethodHandle LSEEK = bind("lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT), CAPTURE);
    private static final MethodHandle FALLOCATE = bind("fallocate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), CAPTURE);
    private static final MethodHandle FTRUNCATE = bind("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), CAPTURE);
    private static final MethodHandle FSYNC = bind("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE);
    private static final MethodHandle FDATASYNC = bind("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE);
    private static final MethodHandle IOCTL_LONG = bind("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
            CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_PTR = bind("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FADVISE = bind("posix_fadvise", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle STRERROR = bind("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private static final ThreadLocal<MemorySegment> CAPTURED =
            ThreadLocal.withInitial(() -> Arena.global().allocate(CAPTURE_LAYOUT));

    private Libc() {}

    private static MethodHandle bind(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    /** errno as the last call through this class left it on this thread. */
    static int errno() {
        return (int) ERRNO.get(CAPTURED.get(), 0L);
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    static int open(MemorySegment path, int flags, int mode) {
        try {
            return (int) OPEN.invokeExact(CAPTURED.get(), path, flags, mode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(CAPTURED.get(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long pread(int fd, MemorySegment buf, long count, long offset) {
        try {
            return (long) PREAD.invokeExact(CAPTURED.get(), fd, buf, count, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long pwrite(int fd, MemorySegment buf, long count, long offset) {
        try {
            return (long) PWRITE.invokeExact(CAPTURED.get(), fd, buf, count, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long lseek(int fd, long offset, int whence) {
        try {
            return (long) LSEEK.invokeExact(CAPTURED.get(), fd, offset, whence);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fallocate(int fd, int mode, long offset, long len) {
        try {
            return (int) FALLOCATE.invokeExact(CAPTURED.get(), fd, mode, offset, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ftruncate(int fd, long len) {
        try {
            return (int) FTRUNCATE.invokeExact(CAPTURED.get(), fd, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fsync(int fd) {
        try {
            return (int) FSYNC.invokeExact(CAPTURED.get(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fdatasync(int fd) {
        try {
            return (int) FDATASYNC.invokeExact(CAPTURED.get(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static final int POSIX_FADV_SEQUENTIAL = 2;

    /** posix_fadvise returns the error number instead of setting errno. */
    static int fadvise(int fd, long offset, long len, int advice) {
        try {
            return (int) FADVISE.invokeExact(fd, offset, len, advice);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ioctl(int fd, long request, long arg) {
        try {
            return (int) IOCTL_LONG.invokeExact(CAPTURED.get(), fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ioctl(int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL_PTR.invokeExact(CAPTURED.get(), fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
