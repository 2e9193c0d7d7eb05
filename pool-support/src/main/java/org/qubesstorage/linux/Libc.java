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
import java.util.Objects;

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
    static final int O_NOFOLLOW = 0400000;
    static final int O_NONBLOCK = 04000;
    static final int O_NOCTTY = 0400;
    static final int O_PATH = 010000000;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int STATX_TYPE = 0x1;
    static final int STATX_INO = 0x100;
    static final int ELOOP = 40;
    static final int ENOTDIR = 20;

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
    static final long FS_IOC_FIEMAP = 0xC020660BL;
    static final long FIDEDUPERANGE = 0xC0189436L;
    static final long LOOP_CLR_FD = 0x4C01L;
    static final long LOOP_SET_STATUS64 = 0x4C04L;
    static final long LOOP_GET_STATUS64 = 0x4C05L;
    static final long LOOP_CONFIGURE = 0x4C0AL;
    static final long LOOP_CTL_GET_FREE = 0x4C82L;

    static final int S_IFBLK = 0060000;

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
    static final int EBUSY = 16;
    static final int EEXIST = 17;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    // Each function is bound on first use, in a holder class of its own: building a downcall handle
    // is real work for the linker (in stack samples of qvm-to-lvm's start-up in the TCG test VM,
    // without the AOT cache, about 2 s went to binding this class's functions), and a run needs only
    // some of them. A static final in a holder is still a constant to the JIT.
    private static final class Open {
        static final MethodHandle HANDLE = bind("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                CAPTURE, Linker.Option.firstVariadicArg(2));
    }

    private static final class Openat {
        static final MethodHandle HANDLE = bind("openat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                CAPTURE);
    }

    private static final class Statx {
        static final MethodHandle HANDLE = bind("statx", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS),
                CAPTURE);
    }

    private static final class Close {
        static final MethodHandle HANDLE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE);
    }

    private static final class Pread {
        static final MethodHandle HANDLE = bind("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), CAPTURE);
    }

    private static final class Pwrite {
        static final MethodHandle HANDLE = bind("pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), CAPTURE);
    }

    private static final class Lseek {
        static final MethodHandle HANDLE = bind("lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT), CAPTURE);
    }

    private static final class Fallocate {
        static final MethodHandle HANDLE = bind("fallocate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), CAPTURE);
    }

    private static final class Ftruncate {
        static final MethodHandle HANDLE = bind("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), CAPTURE);
    }

    private static final class Fsync {
        static final MethodHandle HANDLE = bind("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE);
    }

    private static final class Fdatasync {
        static final MethodHandle HANDLE = bind("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE);
    }

    private static final class IoctlLong {
        static final MethodHandle HANDLE = bind("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
                CAPTURE, Linker.Option.firstVariadicArg(2));
    }

    private static final class IoctlPtr {
        static final MethodHandle HANDLE = bind("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
                CAPTURE, Linker.Option.firstVariadicArg(2));
    }

    private static final class Fadvise {
        static final MethodHandle HANDLE = bind("posix_fadvise", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    }

    private static final class Mknod {
        static final MethodHandle HANDLE = bind("mknod", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG), CAPTURE);
    }

    private static final class Strerror {
        static final MethodHandle HANDLE = bind("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    private static final ThreadLocal<MemorySegment> CAPTURED =
            ThreadLocal.withInitial(() -> Arena.global().allocate(CAPTURE_LAYOUT));

    private Libc() {}

    private static MethodHandle bind(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    /**
     * Binds every function here except {@code strerror} (only errors need it) now, on the calling
     * thread. Reading each holder's handle runs its initialiser once; a later first call then finds
     * it bound. Throws what a failed binding throws (a libc without one of these functions).
     */
    static void bindAll() {
        MethodHandle[] handles = {Open.HANDLE, Close.HANDLE, Pread.HANDLE, Pwrite.HANDLE, Lseek.HANDLE, Fallocate.HANDLE,
            Ftruncate.HANDLE, Fsync.HANDLE, Fdatasync.HANDLE, IoctlLong.HANDLE, IoctlPtr.HANDLE, Fadvise.HANDLE};
        for (MethodHandle h : handles) {
            Objects.requireNonNull(h, "a libc binding");
        }
    }

    /** errno as the last call through this class left it on this thread. */
    static int errno() {
        return (int) ERRNO.get(CAPTURED.get(), 0L);
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) Strerror.HANDLE.invokeExact(errno);
            return s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    static int open(MemorySegment path, int flags, int mode) {
        try {
            return (int) Open.HANDLE.invokeExact(CAPTURED.get(), path, flags, mode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int openat(int dirfd, MemorySegment path, int flags, int mode) {
        try {
            return (int) Openat.HANDLE.invokeExact(CAPTURED.get(), dirfd, path, flags, mode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code statx(2)}; {@code buffer} holds at least {@link #STATX_SIZE} bytes. */
    static int statx(int dirfd, MemorySegment path, int flags, int mask, MemorySegment buffer) {
        try {
            return (int) Statx.HANDLE.invokeExact(CAPTURED.get(), dirfd, path, flags, mask, buffer);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code struct statx}'s size and the offsets of the fields read (the same on every architecture). */
    static final long STATX_SIZE = 256;
    static final long STATX_MODE_OFFSET = 0x1c;
    static final long STATX_INO_OFFSET = 0x20;
    static final long STATX_DEV_MAJOR_OFFSET = 0x88;
    static final long STATX_DEV_MINOR_OFFSET = 0x8c;

    static int close(int fd) {
        try {
            return (int) Close.HANDLE.invokeExact(CAPTURED.get(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long pread(int fd, MemorySegment buf, long count, long offset) {
        try {
            return (long) Pread.HANDLE.invokeExact(CAPTURED.get(), fd, buf, count, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long pwrite(int fd, MemorySegment buf, long count, long offset) {
        try {
            return (long) Pwrite.HANDLE.invokeExact(CAPTURED.get(), fd, buf, count, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long lseek(int fd, long offset, int whence) {
        try {
            return (long) Lseek.HANDLE.invokeExact(CAPTURED.get(), fd, offset, whence);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fallocate(int fd, int mode, long offset, long len) {
        try {
            return (int) Fallocate.HANDLE.invokeExact(CAPTURED.get(), fd, mode, offset, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ftruncate(int fd, long len) {
        try {
            return (int) Ftruncate.HANDLE.invokeExact(CAPTURED.get(), fd, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fsync(int fd) {
        try {
            return (int) Fsync.HANDLE.invokeExact(CAPTURED.get(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fdatasync(int fd) {
        try {
            return (int) Fdatasync.HANDLE.invokeExact(CAPTURED.get(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static final int POSIX_FADV_SEQUENTIAL = 2;

    /** posix_fadvise returns the error number instead of setting errno. */
    static int fadvise(int fd, long offset, long len, int advice) {
        try {
            return (int) Fadvise.HANDLE.invokeExact(fd, offset, len, advice);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ioctl(int fd, long request, long arg) {
        try {
            return (int) IoctlLong.HANDLE.invokeExact(CAPTURED.get(), fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ioctl(int fd, long request, MemorySegment arg) {
        try {
            return (int) IoctlPtr.HANDLE.invokeExact(CAPTURED.get(), fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code mknod(2)}; {@code dev} as glibc's {@code makedev} encodes it. */
    static int mknod(MemorySegment path, int mode, long dev) {
        try {
            return (int) Mknod.HANDLE.invokeExact(CAPTURED.get(), path, mode, dev);
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
