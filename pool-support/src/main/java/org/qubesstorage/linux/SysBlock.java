package org.qubesstorage.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Block-device facts from sysfs, by device number, so they work whether {@code /dev} entries are
 * udev's symlinks or plain device nodes (as {@code DeviceNodes} makes them).
 */
public final class SysBlock {
    private SysBlock() {}

    /** {@code major:minor} of the block device node {@code node}, if it is one. */
    public static Optional<String> deviceNumber(Path node) {
        try {
            long rdev = ((Number) Files.getAttribute(node, "unix:rdev")).longValue();
            if (rdev == 0) {
                return Optional.empty();
            }
            long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
            long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
            return Optional.of(major + ":" + minor);
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** Whether another device (device-mapper, md) sits on the block device {@code node}. */
    public static boolean hasHolders(Path node) {
        Optional<String> devno = deviceNumber(node);
        if (devno.isEmpty()) {
            return false;
        }
        Path holders = Path.of("/sys/dev/block", devno.get(), "holders");
        if (!Files.isDirectory(holders)) {
            return false;
        }
        try (var s = Files.list(holders)) {
            return s.findAny().isPresent();
        } catch (IOException e) {
            return false;
        }
    }
}
