package org.qubesstorage.facade;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;

/**
 * Upstream's per-volume "running" marker files ({@code /run/qubes/volume-running-<pool>:<vid>} with
 * {@code -} doubled and {@code /} turned into {@code -}), so a volume with snapshots disabled is not
 * used as a source while it runs, even across processes.
 */
public final class RunningState {
    private final Path directory;

    public RunningState(Path directory) {
        this.directory = directory;
    }

    public Path stateFile(Volume v) {
        String id = (v.pool().name() + ":" + v.vid()).replace("-", "--").replace("/", "-");
        return directory.resolve("volume-running-" + id);
    }

    public boolean isRunning(Volume v) {
        return Files.exists(stateFile(v));
    }

    void markRunning(Volume v) {
        try {
            Files.createDirectories(directory);
            Files.writeString(stateFile(v), "");
        } catch (IOException e) {
            throw StorageException.backend("Cannot record that " + v + " runs: " + e.getMessage(), e);
        }
    }

    void markStopped(Volume v) {
        try {
            Files.deleteIfExists(stateFile(v));
        } catch (IOException e) {
            throw StorageException.backend("Cannot record that " + v + " stopped: " + e.getMessage(), e);
        }
    }
}
