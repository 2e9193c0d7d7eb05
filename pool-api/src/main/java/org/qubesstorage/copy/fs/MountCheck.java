package org.qubesstorage.copy.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.qubesstorage.linux.LoopDevices;

/**
 * Whether an image or device may be in use, in which case its file system's bitmaps may change under
 * a copy: a file attached to a loop device, or a device that is mounted or held by another device.
 */
public final class MountCheck {
    private MountCheck() {}

    public static Optional<String> inUse(Path path) {
        try {
            if (Files.isRegularFile(path)) {
                List<Path> loops = LoopDevices.backedBy(path);
                return loops.isEmpty() ? Optional.empty()
                        : Optional.of(path + " is attached to " + loops + " and may be mounted");
            }
            long rdev = ((Number) Files.getAttribute(path, "unix:rdev")).longValue();
            long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
            long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
            String devno = major + ":" + minor;
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals(devno)) {
                    return Optional.of(path + " is mounted at " + f[4]);
                }
            }
            Path holders = Path.of("/sys/dev/block", devno, "holders");
            if (Files.isDirectory(holders)) {
                try (var s = Files.list(holders)) {
                    if (s.findAny().isPresent()) {
                        return Optional.of(path + " is held by another device (device-mapper, md)");
                    }
                }
            }
            return Optional.empty();
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.of("cannot tell whether " + path + " is in use: " + e.getMessage());
        }
    }
}
