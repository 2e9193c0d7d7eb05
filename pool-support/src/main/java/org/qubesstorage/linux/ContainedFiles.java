package org.qubesstorage.linux;

import static java.util.Objects.requireNonNull;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

/**
 * Opens a volume's image only if it is a regular file inside its pool's directory, with the
 * semantics of {@code openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)} built from plain
 * {@code openat} calls: every component below the directory is opened with {@code O_NOFOLLOW},
 * {@code ..} is refused, and the file's type is checked on a side-effect-free {@code O_PATH}
 * descriptor before it is really opened, then again with {@code statx} on the descriptor that is
 * used. So a symbolic link (to {@code /etc/shadow}, to a block device, out of an old disk onto the
 * running host), a FIFO (whose open would block), a device or a directory is refused with the
 * reason, and nothing is read from it.
 */
public final class ContainedFiles {
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;

    private ContainedFiles() {}

    /**
     * Opens {@code file}, which must lie inside {@code root}, for reading.
     *
     * @throws StorageException {@link ErrorCode#NOT_FOUND} if it does not exist,
     *                          {@link ErrorCode#INVALID_CONFIGURATION} if it is outside {@code root},
     *                          reached through a symbolic link, or not a regular file
     */
    public static NativeFile openRead(Path root, Path file) {
        requireNonNull(file, "file");
        List<String> parts = componentsBeneath(root, file);
        try (Arena arena = Arena.ofConfined()) {
            int dir = openRoot(root, arena);
            try {
                for (int i = 0; i < parts.size() - 1; i++) {
                    int next = openat(dir, parts.get(i), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW, arena);
                    if (next < 0) {
                        throw refusal(Libc.errno(), root.resolve(String.join("/", parts.subList(0, i + 1))), "a directory");
                    }
                    Libc.close(dir);
                    dir = next;
                }
                String last = parts.getLast();
                int probe = openat(dir, last, Libc.O_PATH | Libc.O_NOFOLLOW, arena);
                if (probe < 0) {
                    throw refusal(Libc.errno(), file, "a regular file");
                }
                long[] probed;
                try {
                    probed = requireRegular(probe, file, arena);
                } finally {
                    Libc.close(probe);
                }
                int fd = openat(dir, last, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK | Libc.O_NOCTTY, arena);
                if (fd < 0) {
                    throw refusal(Libc.errno(), file, "a regular file");
                }
                long[] opened;
                try {
                    opened = requireRegular(fd, file, arena);
                } catch (RuntimeException e) {
                    Libc.close(fd);
                    throw e;
                }
                if (opened[0] != probed[0] || opened[1] != probed[1]) {
                    Libc.close(fd);
                    throw StorageException.busy(file + " was replaced while it was being opened; try again");
                }
                return NativeFile.adopt(file, fd, false);
            } finally {
                Libc.close(dir);
            }
        }
    }

    /**
     * Checks, without opening it for I/O, that {@code file} is a regular file inside {@code root}
     * reached without symbolic links; the same refusals as {@link #openRead}.
     */
    public static void requireRegularBeneath(Path root, Path file) {
        openRead(root, file).close();
    }

    private static List<String> componentsBeneath(Path root, Path file) {
        Path r = root.toAbsolutePath().normalize();
        Path f = file.toAbsolutePath();
        if (!f.normalize().equals(f) && f.toString().contains("..")) {
            throw StorageException.invalidConfiguration(file + ": a path with '..' is not accepted for an image");
        }
        if (!f.startsWith(r) || f.equals(r)) {
            throw StorageException.invalidConfiguration(file + " is not inside its pool's directory " + r
                    + "; refusing to use it as an image");
        }
        List<String> parts = new ArrayList<>();
        for (Path p : r.relativize(f)) {
            parts.add(p.toString());
        }
        return parts;
    }

    private static int openRoot(Path root, Arena arena) {
        MemorySegment c = arena.allocateFrom(root.toAbsolutePath().toString());
        int fd;
        do {
            fd = Libc.open(c, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        } while (fd < 0 && Libc.errno() == Libc.EINTR);
        if (fd < 0) {
            throw SyscallException.of("open", root, Libc.errno());
        }
        return fd;
    }

    private static int openat(int dir, String name, int flags, Arena arena) {
        MemorySegment c = arena.allocateFrom(name);
        int fd;
        do {
            fd = Libc.openat(dir, c, flags | Libc.O_CLOEXEC, 0);
        } while (fd < 0 && Libc.errno() == Libc.EINTR);
        return fd;
    }

    /** Device and inode of {@code fd}, after checking that it is a regular file. */
    private static long[] requireRegular(int fd, Path file, Arena arena) {
        MemorySegment buf = arena.allocate(Libc.STATX_SIZE, 8);
        if (Libc.statx(fd, arena.allocateFrom(""), Libc.AT_EMPTY_PATH | Libc.AT_SYMLINK_NOFOLLOW,
                Libc.STATX_TYPE | Libc.STATX_INO, buf) != 0) {
            throw SyscallException.of("statx", file, Libc.errno());
        }
        int mode = Short.toUnsignedInt(buf.get(ValueLayout.JAVA_SHORT, Libc.STATX_MODE_OFFSET));
        if ((mode & S_IFMT) != S_IFREG) {
            throw StorageException.invalidConfiguration(file + " is " + kind(mode)
                    + ", not a regular file; refusing to use it as an image");
        }
        long dev = ((long) buf.get(ValueLayout.JAVA_INT, Libc.STATX_DEV_MAJOR_OFFSET) << 32)
                | Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT, Libc.STATX_DEV_MINOR_OFFSET));
        return new long[] {dev, buf.get(ValueLayout.JAVA_LONG, Libc.STATX_INO_OFFSET)};
    }

    private static String kind(int mode) {
        return switch (mode & S_IFMT) {
            case 0010000 -> "a FIFO";
            case 0020000 -> "a character device";
            case 0040000 -> "a directory";
            case 0060000 -> "a block device";
            case 0120000 -> "a symbolic link";
            case 0140000 -> "a socket";
            default -> "not a regular file (mode " + Integer.toOctalString(mode) + ")";
        };
    }

    private static StorageException refusal(int errno, Path path, String expected) {
        return switch (errno) {
            case Libc.ELOOP -> StorageException.invalidConfiguration(path + " is a symbolic link; an image must be "
                    + expected + " inside its pool's directory, so it is refused (nothing was read)");
            case Libc.ENOTDIR -> StorageException.invalidConfiguration(path + ": a component is not a directory"
                    + " (or is a symbolic link); refusing it");
            default -> SyscallException.of("open", path, errno);
        };
    }
}
