package org.qubesstorage.linux;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.qubesstorage.spi.StorageException;

/**
 * Block device nodes in a directory such as {@code /dev/mapper}, made and dropped the way
 * {@code dmsetup mknodes} does where no udev makes them: a node of mode 0600 named after the
 * device. Where udev runs, its symlink to {@code ../dm-N} is the node, and this only repairs what
 * a killed process or a late udev left; both kinds are accepted as leading to the device.
 */
final class DeviceNodes {
    private DeviceNodes() {}

    /** glibc's {@code makedev}. */
    static long makedev(long major, long minor) {
        return ((major & 0xfff) << 8) | ((major & ~0xfffL) << 32) | (minor & 0xff) | ((minor & ~0xffL) << 12);
    }

    /** Makes {@code node} lead to block device {@code dev}, replacing whatever else is there. */
    static void ensure(Path node, long dev) {
        if (leadsTo(node, dev)) {
            return;
        }
        Path temporary = node.resolveSibling("." + node.getFileName() + ".new");
        try (Arena arena = Arena.ofConfined()) {
            Files.deleteIfExists(temporary);
            if (Libc.mknod(arena.allocateFrom(temporary.toString()), Libc.S_IFBLK | 0600, dev) < 0) {
                throw SyscallException.of("mknod", temporary, Libc.errno());
            }
            Files.move(temporary, node, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw StorageException.backend("Cannot make the device node " + node + ": " + e.getMessage(), e);
        }
    }

    /** Drops {@code node} (a stale node or symlink of a device the kernel no longer has). */
    static void drop(Path node) {
        try {
            Files.deleteIfExists(node);
        } catch (IOException e) {
            throw StorageException.backend("Cannot remove the stale device node " + node + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code node} (followed, if udev's symlink) is a block device with number {@code dev}. */
    static boolean leadsTo(Path node, long dev) {
        try {
            int mode = (Integer) Files.getAttribute(node, "unix:mode");
            return (mode & 0170000) == Libc.S_IFBLK && ((Number) Files.getAttribute(node, "unix:rdev")).longValue() == dev;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
