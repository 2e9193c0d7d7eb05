package org.qubesstorage.copy.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.qubesstorage.linux.LoopDevices;
import org.qubesstorage.linux.SysBlock;

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
            Optional<String> devno = SysBlock.deviceNumber(path);
            if (devno.isEmpty()) {
                return Optional.of("cannot tell whether " + path + " is in use: not a block device");
            }
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals(devno.get())) {
                    return Optional.of(path + " is mounted at " + f[4]);
                }
            }
            if (SysBlock.hasHolders(path)) {
                return Optional.of(path + " is held by another device (device-mapper, md)");
            }
            return Optional.empty();
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.of("cannot tell whether " + path + " is in use: " + e.getMessage());
        }
    }
}
