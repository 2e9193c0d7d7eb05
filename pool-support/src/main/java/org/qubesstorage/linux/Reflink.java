package org.qubesstorage.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * Reflink copies ({@code FICLONE}, {@code FICLONERANGE}): the target shares the source's extents
 * until either is written, so a copy costs no data I/O.
 *
 * <p>"This file system cannot do that" is an expected answer, not an error: it comes back as
 * {@link Outcome#UNSUPPORTED} (EOPNOTSUPP, EXDEV across file systems, EINVAL or ENOTTY from a file
 * system without the ioctl, EBADF for a special file) so callers fall back to copying. Real
 * failures (ENOSPC, EIO) throw.
 */
public final class Reflink {
    private Reflink() {}

    /** The result of a reflink attempt. */
    public enum Outcome {
        /** The target now shares the source's data. */
        CLONED,
        /** The file system (or the pair of them) cannot reflink; copy instead. */
        UNSUPPORTED
    }

    /**
     * Makes {@code target} (an open, writable, empty file) share all of {@code source}'s data; the
     * target takes the source's size.
     */
    public static Outcome cloneFile(NativeFile source, NativeFile target) {
        if (Libc.ioctl(target.fd(), Libc.FICLONE, (long) source.fd()) == 0) {
            return Outcome.CLONED;
        }
        return unsupportedOrThrow("ioctl(FICLONE)", source.path(), target.path(), Libc.errno());
    }

    /**
     * Shares {@code length} bytes of {@code source} at {@code sourceOffset} into {@code target} at
     * {@code targetOffset}. Offsets and length must be file-system-block aligned (except a length
     * reaching the source's end).
     */
    public static Outcome cloneRange(NativeFile source, long sourceOffset, long length, NativeFile target, long targetOffset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = arena.allocate(32, 8);
            args.set(ValueLayout.JAVA_LONG, 0, source.fd());
            args.set(ValueLayout.JAVA_LONG, 8, sourceOffset);
            args.set(ValueLayout.JAVA_LONG, 16, length);
            args.set(ValueLayout.JAVA_LONG, 24, targetOffset);
            if (Libc.ioctl(target.fd(), Libc.FICLONERANGE, args) == 0) {
                return Outcome.CLONED;
            }
            return unsupportedOrThrow("ioctl(FICLONERANGE)", source.path(), target.path(), Libc.errno());
        }
    }

    /**
     * Whether files in {@code directory} can be reflinked: clones between two scratch files there
     * (upstream's {@code is_supported}) and removes them.
     */
    public static boolean isSupported(Path directory) {
        Path a = directory.resolve(".reflink-probe-" + ProcessHandle.current().pid() + "-a");
        Path b = directory.resolve(".reflink-probe-" + ProcessHandle.current().pid() + "-b");
        try {
            try (NativeFile src = NativeFile.create(a, 0600); NativeFile dst = NativeFile.create(b, 0600)) {
                return cloneFile(src, dst) == Outcome.CLONED;
            }
        } finally {
            a.toFile().delete();
            b.toFile().delete();
        }
    }

    private static Outcome unsupportedOrThrow(String call, Path source, Path target, int errno) {
        return switch (errno) {
            case Libc.EOPNOTSUPP, Libc.EXDEV, Libc.EINVAL, Libc.ENOTTY, Libc.EBADF -> Outcome.UNSUPPORTED;
            default -> throw SyscallException.of(call, source + " -> " + target, errno);
        };
    }
}
