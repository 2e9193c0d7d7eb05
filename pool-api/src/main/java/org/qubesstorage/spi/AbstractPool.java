package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A convenient base for pools: the name, the validated {@code revisions_to_keep} and
 * {@code ephemeral_volatile} defaults with their setters, and {@code usageDetails} from
 * {@link #size()} and {@link #usage()}. Thread-safe for those fields.
 */
public abstract class AbstractPool implements Pool {
    private final String name;
    private volatile int revisionsToKeep;
    private volatile boolean ephemeralVolatile;

    /** Reads {@code revisions_to_keep} and {@code ephemeral_volatile} from {@code config}. */
    protected AbstractPool(PoolConfig config, int defaultRevisionsToKeep) {
        this.name = requireNonNull(config, "config").name();
        this.revisionsToKeep = checkRevisionsToKeep(config.getInt("revisions_to_keep", defaultRevisionsToKeep));
        this.ephemeralVolatile = config.getBoolean("ephemeral_volatile", false);
    }

    /**
     * Validates a {@code revisions_to_keep} value; drivers with tighter limits override it (and it
     * is called from the constructor, so it must not use subclass fields).
     */
    protected int checkRevisionsToKeep(int n) {
        if (n < -1) {
            throw StorageException.invalidArgument("revisions_to_keep must be -1 or more, not " + n);
        }
        return n;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int revisionsToKeep() {
        return revisionsToKeep;
    }

    @Override
    public void setRevisionsToKeep(int n) {
        revisionsToKeep = checkRevisionsToKeep(n);
    }

    @Override
    public boolean ephemeralVolatile() {
        return ephemeralVolatile;
    }

    @Override
    public void setEphemeralVolatile(boolean e) {
        ephemeralVolatile = e;
    }

    /** {@code name}, then the driver's own attributes, then {@code driver} and the two defaults. */
    protected Map<String, String> baseConfig(Map<String, String> driverAttributes) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("name", name);
        c.putAll(driverAttributes);
        c.put("driver", driverName());
        c.put("revisions_to_keep", Integer.toString(revisionsToKeep));
        c.put("ephemeral_volatile", VolumeConfig.pythonBool(ephemeralVolatile));
        return c;
    }

    @Override
    public Map<String, Long> usageDetails() {
        Map<String, Long> m = new LinkedHashMap<>();
        size().ifPresent(v -> m.put("data_size", v));
        usage().ifPresent(v -> m.put("data_usage", v));
        return m;
    }

    /** Total bytes of the file system holding {@code dir} (or of its nearest existing parent). */
    protected static OptionalLong fileSystemSize(Path dir) {
        try {
            return OptionalLong.of(store(dir).getTotalSpace());
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** Used bytes of the file system holding {@code dir} ({@code statvfs}: blocks minus free blocks). */
    protected static OptionalLong fileSystemUsage(Path dir) {
        try {
            FileStore s = store(dir);
            return OptionalLong.of(s.getTotalSpace() - s.getUnallocatedSpace());
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    private static FileStore store(Path dir) throws IOException {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return Files.getFileStore(p == null ? dir.getRoot() : p);
    }

    @Override
    public String toString() {
        return name;
    }
}
