package org.qubesstorage.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Offline deduplication of one range, {@code ioctl(FIDEDUPERANGE)}: the kernel locks both ranges,
 * compares their bytes and only if they are equal makes the target share the source's extent. A
 * target written in between is therefore left alone ({@link Outcome#DIFFERS}), never corrupted.
 */
public final class Dedupe {
    private static final int HEADER = 24;
    private static final int INFO = 32;
    private static final int STATUS_DIFFERS = 1;

    private Dedupe() {}

    /** What happened to one range. */
    public enum Outcome {
        /** The range now shares the source's blocks ({@link Result#bytes()} of them). */
        SHARED,
        /** The bytes were not equal (one side changed since it was read): nothing done. */
        DIFFERS,
        /** The file system cannot share these ranges (no reflink, another file system, unaligned). */
        UNSUPPORTED
    }

    /** The outcome and how many bytes the kernel deduplicated (it may do fewer than asked). */
    public record Result(Outcome outcome, long bytes) {}

    /**
     * Makes {@code length} bytes of {@code target} at {@code targetOffset} share {@code source}'s
     * at {@code sourceOffset} if they are equal. Offsets must be block aligned; file systems limit
     * one call (btrfs to 16 MiB), so callers loop on {@link Result#bytes()}.
     */
    public static Result range(NativeFile source, long sourceOffset, long length, NativeFile target, long targetOffset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = arena.allocate(HEADER + INFO, 8);
            args.set(ValueLayout.JAVA_LONG, 0, sourceOffset);
            args.set(ValueLayout.JAVA_LONG, 8, length);
            args.set(ValueLayout.JAVA_SHORT, 16, (short) 1);
            args.set(ValueLayout.JAVA_LONG, HEADER, target.fd());
            args.set(ValueLayout.JAVA_LONG, HEADER + 8, targetOffset);
            if (Libc.ioctl(source.fd(), Libc.FIDEDUPERANGE, args) != 0) {
                int errno = Libc.errno();
                return switch (errno) {
                    case Libc.EOPNOTSUPP, Libc.EXDEV, Libc.EINVAL, Libc.ENOTTY -> new Result(Outcome.UNSUPPORTED, 0);
                    default -> throw SyscallException.of("ioctl(FIDEDUPERANGE)", source.path() + " -> " + target.path(), errno);
                };
            }
            int status = args.get(ValueLayout.JAVA_INT, HEADER + 24);
            long done = args.get(ValueLayout.JAVA_LONG, HEADER + 16);
            if (status == STATUS_DIFFERS) {
                return new Result(Outcome.DIFFERS, 0);
            }
            if (status < 0) {
                return switch (-status) {
                    case Libc.EOPNOTSUPP, Libc.EXDEV, Libc.EINVAL -> new Result(Outcome.UNSUPPORTED, 0);
                    default -> throw SyscallException.of("FIDEDUPERANGE", target.path() + " at " + targetOffset, -status);
                };
            }
            return new Result(Outcome.SHARED, done);
        }
    }
}
