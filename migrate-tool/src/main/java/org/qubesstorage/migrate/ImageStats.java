package org.qubesstorage.migrate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.qubesstorage.linux.DataMap;
import org.qubesstorage.linux.NativeFile;

/**
 * An image's apparent size and allocated data: a regular file's size and the bytes its data map
 * covers, or a block device's size (allocation taken from the driver, which knows it).
 */
record ImageStats(long apparent, long allocated) {
    static ImageStats of(Path image, OptionalLong driverUsage) {
        try (NativeFile f = NativeFile.openRead(image)) {
            if (Files.isRegularFile(image)) {
                long size = Files.size(image);
                return new ImageStats(size, DataMap.total(DataMap.of(f, size)));
            }
            long size = f.blockDeviceSize();
            return new ImageStats(size, Math.min(size, driverUsage.orElse(size)));
        } catch (IOException e) {
            throw ToolException.input("Cannot read " + image + ": " + IoReasons.of(e));
        }
    }
}
