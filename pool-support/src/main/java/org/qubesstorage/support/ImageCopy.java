package org.qubesstorage.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import org.qubesstorage.copy.CopyRequest;
import org.qubesstorage.copy.SparseCopier;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.linux.Reflink;
import org.qubesstorage.spi.StorageException;

/**
 * Upstream's {@code _copy_file}: a reflink where the file system allows it, else the sparse copy
 * engine; always into a temporary file that is fsynced and then renamed over the target, so the
 * target is either the old file or the complete new one.
 */
public final class ImageCopy {
    private static final SparseCopier COPIER = new SparseCopier();

    private ImageCopy() {}

    /** Whether the copy was a reflink (no data moved). */
    public static boolean copy(Path source, Path target, OptionalLong targetSize, boolean copyMtime) {
        Path tmp = target.resolveSibling(target.getFileName() + "~" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        boolean reflinked;
        try {
            try (NativeFile in = NativeFile.openRead(source); NativeFile out = NativeFile.create(tmp, 0600)) {
                reflinked = Reflink.cloneFile(in, out) == Reflink.Outcome.CLONED;
            }
            if (!reflinked) {
                COPIER.copy(CopyRequest.of(source, tmp));
            }
            try (NativeFile out = NativeFile.openReadWrite(tmp)) {
                if (targetSize.isPresent()) {
                    out.truncate(targetSize.getAsLong());
                }
                out.fsync();
            }
            if (copyMtime) {
                Files.setLastModifiedTime(tmp, Files.getLastModifiedTime(source));
            }
            DurableFiles.rename(tmp, target);
            return reflinked;
        } catch (IOException e) {
            throw StorageException.backend("Cannot copy " + source + " to " + target + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort: a leftover ~ file is removed at the next start
            }
        }
    }

    /** Creates (replacing) a sparse file of {@code size} bytes, durably. */
    public static void createSparse(Path file, long size) {
        Path tmp = file.resolveSibling(file.getFileName() + "~" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try (NativeFile f = NativeFile.create(tmp, 0600)) {
            f.truncate(size);
            f.fsync();
        }
        DurableFiles.rename(tmp, file);
    }

    public static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    public static FileTime mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            throw StorageException.backend("Cannot stat " + p + ": " + e.getMessage(), e);
        }
    }

    public static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw StorageException.backend("Cannot stat " + p + ": " + e.getMessage(), e);
        }
    }
}
