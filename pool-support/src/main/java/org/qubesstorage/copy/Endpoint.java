package org.qubesstorage.copy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.spi.StorageException;

/** What kind of thing a copy reads or writes, and how large it is. */
record Endpoint(Path path, boolean blockDevice) {
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFREG = 0100000;

    static Endpoint of(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode");
            int type = mode & S_IFMT;
            if (type == S_IFBLK) {
                return new Endpoint(path, true);
            }
            if (type == S_IFREG) {
                return new Endpoint(path, false);
            }
            throw StorageException.invalidArgument(path + " is neither a regular file nor a block device");
        } catch (java.nio.file.NoSuchFileException e) {
            throw StorageException.notFound(path + " does not exist");
        } catch (IOException e) {
            throw StorageException.backend("Cannot inspect " + path + ": " + e.getMessage(), e);
        }
    }

    static boolean exists(Path path) {
        return Files.exists(path, LinkOption.NOFOLLOW_LINKS) || Files.exists(path);
    }

    long size(NativeFile open) {
        if (blockDevice) {
            return open.blockDeviceSize();
        }
        try {
            return Files.size(path);
        } catch (IOException e) {
            throw StorageException.backend("Cannot read the size of " + path + ": " + e.getMessage(), e);
        }
    }
}
