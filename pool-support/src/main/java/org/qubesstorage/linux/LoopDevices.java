package org.qubesstorage.linux;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loop devices and the files behind them, read from sysfs
 * ({@code /sys/block/loopN/loop/backing_file}) so no {@code losetup} process is needed.
 */
public final class LoopDevices {
    private static final Path SYS_BLOCK = Path.of("/sys/block");

    private LoopDevices() {}

    /** The loop devices ({@code /dev/loopN}) whose backing file is {@code file} (symlinks resolved). */
    public static List<Path> backedBy(Path file) {
        List<Path> result = new ArrayList<>();
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            return result;
        }
        try (DirectoryStream<Path> loops = Files.newDirectoryStream(SYS_BLOCK, "loop*")) {
            for (Path loop : loops) {
                Path backing = loop.resolve("loop/backing_file");
                if (!Files.isReadable(backing)) {
                    continue;
                }
                String name = Files.readString(backing).strip();
                if (sameFile(real, name)) {
                    result.add(Path.of("/dev").resolve(loop.getFileName()));
                }
            }
        } catch (IOException e) {
            return result;
        }
        return result;
    }

    private static boolean sameFile(Path real, String backingName) {
        if (backingName.endsWith(" (deleted)")) {
            return false;
        }
        try {
            return Path.of(backingName).toRealPath().equals(real);
        } catch (IOException e) {
            return false;
        }
    }

    /** Makes every loop device backed by {@code file} pick up the file's new size. */
    public static void refreshCapacity(Path file) {
        for (Path loop : backedBy(file)) {
            try (NativeFile dev = NativeFile.openRead(loop)) {
                dev.loopSetCapacity();
            }
        }
    }
}
