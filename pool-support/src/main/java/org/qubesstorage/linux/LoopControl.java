package org.qubesstorage.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

/**
 * Attaches files to loop devices and detaches them through {@code /dev/loop-control} and the loop
 * ioctls ({@code linux/loop.h}), as {@code losetup --find --nooverlap --show} and
 * {@code losetup --detach} do, without starting a process for each.
 *
 * <p>{@code LOOP_CONFIGURE} binds file and flags in one call (Linux 5.8): no window in which
 * another process sees a bound device without its flags. A read-only device reads its file with
 * direct I/O ({@code LO_FLAGS_DIRECT_IO}; the kernel falls back to the page cache where the file
 * system cannot), so a committed layer's blocks are not cached twice, once under the device and
 * once under the file. Writable devices stay buffered: direct writes of pages that change in
 * flight fail btrfs's data checksums.
 */
final class LoopControl {
    private static final Path CONTROL = Path.of("/dev/loop-control");
    private static final Path SYS_BLOCK = Path.of("/sys/block");

    private static final int LO_FLAGS_READ_ONLY = 1;
    private static final int LO_FLAGS_AUTOCLEAR = 4;
    private static final int LO_FLAGS_DIRECT_IO = 16;
    /** {@code struct loop_config}: fd, block_size, then {@code struct loop_info64} (232 bytes), reserved. */
    private static final int CONFIG_SIZE = 304;
    private static final long CONFIG_INFO = 8;
    private static final int INFO_SIZE = 232;
    private static final long INFO_FLAGS = 52;
    private static final long INFO_FILE_NAME = 56;
    private static final int FILE_NAME_LEN = 64;

    /** Another process may take the device GET_FREE offered before this one configures it. */
    private static final int ATTEMPTS = 16;

    /** Finding a device already on a file and attaching a new one is one step within this JVM. */
    private static final ReentrantLock ATTACH = new ReentrantLock();

    private LoopControl() {}

    /**
     * A loop device on {@code file}: the one already attached to the whole file (as
     * {@code --nooverlap} reuses it, its auto-clear flag cleared so it stays), else a free one
     * newly attached. A file attached read-only cannot be reused writable.
     */
    static Path attach(Path file, boolean readOnly) {
        ATTACH.lock();
        try {
            Optional<Path> existing = reusable(file, readOnly);
            if (existing.isPresent()) {
                return existing.get();
            }
            try (NativeFile backing = readOnly ? NativeFile.openRead(file) : NativeFile.openReadWrite(file)) {
                for (int attempt = 1; ; attempt++) {
                    Path loop = Path.of("/dev/loop" + freeDevice());
                    int errno = configure(loop, backing, readOnly, file);
                    if (errno == 0) {
                        return loop;
                    }
                    if (errno != Libc.EBUSY || attempt == ATTEMPTS) {
                        throw SyscallException.of("ioctl(LOOP_CONFIGURE)", loop + " for " + file, errno);
                    }
                }
            }
        } finally {
            ATTACH.unlock();
        }
    }

    /**
     * Detaches {@code loop}; where something still holds it open, the kernel marks it to detach
     * when the last holder closes it (as {@code losetup --detach} does). A device with no file is
     * left as it is.
     */
    static void detach(Path loop) {
        try (NativeFile device = NativeFile.openRead(loop)) {
            if (Libc.ioctl(device.fd(), Libc.LOOP_CLR_FD, 0L) < 0 && Libc.errno() != Libc.ENXIO) {
                throw SyscallException.of("ioctl(LOOP_CLR_FD)", loop, Libc.errno());
            }
        }
    }

    private static int freeDevice() {
        try (NativeFile control = NativeFile.openReadWrite(CONTROL)) {
            int n = Libc.ioctl(control.fd(), Libc.LOOP_CTL_GET_FREE, 0L);
            if (n < 0) {
                throw SyscallException.of("ioctl(LOOP_CTL_GET_FREE)", CONTROL, Libc.errno());
            }
            return n;
        }
    }

    /** {@code LOOP_CONFIGURE}; the errno, 0 when bound. */
    private static int configure(Path loop, NativeFile backing, boolean readOnly, Path file) {
        try (NativeFile device = readOnly ? NativeFile.openRead(loop) : NativeFile.openReadWrite(loop);
             Arena arena = Arena.ofConfined()) {
            MemorySegment config = arena.allocate(CONFIG_SIZE, 8);
            config.set(JAVA_INT, 0, backing.fd());
            config.set(JAVA_INT, CONFIG_INFO + INFO_FLAGS, readOnly ? LO_FLAGS_READ_ONLY | LO_FLAGS_DIRECT_IO : 0);
            byte[] name = file.toString().getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(name, 0, config, JAVA_BYTE, CONFIG_INFO + INFO_FILE_NAME, Math.min(name.length, FILE_NAME_LEN - 1));
            return Libc.ioctl(device.fd(), Libc.LOOP_CONFIGURE, config) < 0 ? Libc.errno() : 0;
        }
    }

    private static Optional<Path> reusable(Path file, boolean readOnly) {
        for (Path loop : LoopDevices.backedBy(file)) {
            Path sys = SYS_BLOCK.resolve(loop.getFileName());
            if (!sysfs(sys.resolve("loop/offset")).equals("0") || !sysfs(sys.resolve("loop/sizelimit")).equals("0")) {
                continue;
            }
            if (sysfs(sys.resolve("ro")).equals("1") && !readOnly) {
                throw new StorageException(ErrorCode.BUSY, file + " is attached read-only to " + loop + "; it cannot be attached writable too");
            }
            if (sysfs(sys.resolve("loop/autoclear")).equals("1")) {
                keep(loop);
            }
            return Optional.of(loop);
        }
        return Optional.empty();
    }

    /** Clears the auto-clear flag of {@code loop}, which a detach while it was held open set. */
    private static void keep(Path loop) {
        try (NativeFile device = NativeFile.openRead(loop); Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(INFO_SIZE, 8);
            if (Libc.ioctl(device.fd(), Libc.LOOP_GET_STATUS64, info) < 0) {
                throw SyscallException.of("ioctl(LOOP_GET_STATUS64)", loop, Libc.errno());
            }
            info.set(JAVA_INT, INFO_FLAGS, info.get(JAVA_INT, INFO_FLAGS) & ~LO_FLAGS_AUTOCLEAR);
            if (Libc.ioctl(device.fd(), Libc.LOOP_SET_STATUS64, info) < 0) {
                throw SyscallException.of("ioctl(LOOP_SET_STATUS64)", loop, Libc.errno());
            }
        }
    }

    private static String sysfs(Path attribute) {
        try {
            return Files.readString(attribute).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
