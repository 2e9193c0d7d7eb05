package org.qubesstorage.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.qubesstorage.spi.StorageException;

/**
 * Renames and removals that survive a power cut: after the change the directory holding the entry
 * is fsynced, so a crash cannot bring back the old name (upstream fsyncs the same way).
 */
public final class DurableFiles {
    private DurableFiles() {}

    /** fsyncs a directory, making the entries created, renamed or removed in it durable. */
    public static void fsyncDirectory(Path directory) {
        try (NativeFile dir = NativeFile.openDirectory(directory)) {
            dir.fsync();
        }
    }

    /** fsyncs a file's data and metadata. */
    public static void fsyncFile(Path file) {
        try (NativeFile f = NativeFile.openRead(file)) {
            f.fsync();
        }
    }

    /** Atomically renames {@code from} to {@code to} (replacing it) and fsyncs both directories. */
    public static void rename(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw StorageException.backend("Cannot rename " + from + " to " + to + " atomically (different file systems?)", e);
        } catch (NoSuchFileException e) {
            throw StorageException.notFound("Cannot rename " + from + ": it does not exist");
        } catch (IOException e) {
            throw StorageException.backend("Cannot rename " + from + " to " + to + ": " + e.getMessage(), e);
        }
        fsyncDirectory(to.toAbsolutePath().getParent());
        Path fromDir = from.toAbsolutePath().getParent();
        if (!fromDir.equals(to.toAbsolutePath().getParent())) {
            fsyncDirectory(fromDir);
        }
    }

    /** Deletes {@code file} if it exists and fsyncs its directory; returns whether it existed. */
    public static boolean delete(Path file) {
        boolean existed;
        try {
            existed = Files.deleteIfExists(file);
        } catch (IOException e) {
            throw StorageException.backend("Cannot remove " + file + ": " + e.getMessage(), e);
        }
        if (existed) {
            fsyncDirectory(file.toAbsolutePath().getParent());
        }
        return existed;
    }

    /** Makes {@code link} a new hard link to {@code existing} (replacing {@code link}) durably. */
    public static void hardLink(Path existing, Path link) {
        Path tmp = link.resolveSibling(link.getFileName() + "~link");
        try {
            if (Files.exists(link, LinkOption.NOFOLLOW_LINKS) && Files.isSameFile(existing, link)) {
                // Already that file. rename(2) between two links to one inode does nothing and
                // reports success, so linking a temporary name and renaming it would leave it behind.
                Files.deleteIfExists(tmp);
                return;
            }
            Files.deleteIfExists(tmp);
            Files.createLink(tmp, existing);
        } catch (IOException e) {
            throw StorageException.backend("Cannot link " + existing + " as " + link + ": " + e.getMessage(), e);
        }
        rename(tmp, link);
        try {
            if (Files.deleteIfExists(tmp)) {
                fsyncDirectory(link.toAbsolutePath().getParent()); // the same no-op rename, raced
            }
        } catch (IOException e) {
            throw StorageException.backend("Cannot remove " + tmp + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes {@code directory} if it is empty, durably (its parent fsynced); a directory that is
     * gone already or still holds something stays as it is.
     */
    public static void deleteIfEmpty(Path directory) {
        try (java.nio.file.DirectoryStream<Path> s = Files.newDirectoryStream(directory)) {
            if (s.iterator().hasNext()) {
                return;
            }
        } catch (IOException e) {
            return; // gone already, or unreadable: nothing to remove here
        }
        try {
            Files.deleteIfExists(directory);
            fsyncDirectory(directory.toAbsolutePath().getParent());
        } catch (IOException e) {
            // something landed in it meanwhile: it stays
        }
    }

    /** Creates {@code directory} and its parents, fsyncing each new entry's parent. */
    public static void createDirectories(Path directory) {
        Path abs = directory.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            return;
        }
        Path parent = abs.getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        try {
            Files.createDirectory(abs);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            if (!Files.isDirectory(abs)) {
                throw StorageException.backend(abs + " exists and is not a directory", e);
            }
            return;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (parent != null) {
            fsyncDirectory(parent);
        }
    }
}
