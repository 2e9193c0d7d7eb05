package org.qubesstorage.file.legacy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.qubesstorage.spi.StorageException;

/** {@code <st_dev hex>:<inode>} of a file, the key upstream names its device-mapper devices by. */
final class FileIdentity {
    private FileIdentity() {}

    static String of(Path file) {
        try {
            long dev = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
            return Long.toHexString(dev) + ":" + ino;
        } catch (java.nio.file.NoSuchFileException e) {
            throw StorageException.notFound("Missing image file: " + file);
        } catch (IOException e) {
            throw StorageException.backend("Cannot stat " + file + ": " + e.getMessage(), e);
        }
    }
}
