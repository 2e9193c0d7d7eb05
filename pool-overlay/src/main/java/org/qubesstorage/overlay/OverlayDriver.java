package org.qubesstorage.overlay;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.overlay.dm.ChainStack;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.spi.DriverParameter;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.PoolDriver;
import org.qubesstorage.spi.SpiVersion;
import org.qubesstorage.support.StandardParameters;

/**
 * The {@code overlay} driver: volumes in a directory on any file system, where a clone is a layer
 * holding only its own changes over an immutable revision of its source (template chains whose
 * branches store only what they change; qubes-issues #6134), run through the kernel's
 * dm-snapshot.
 */
public final class OverlayDriver implements PoolDriver {
    public static final String NAME = "overlay";
    private final CommitObserver observer;

    /** The driver as {@code ServiceLoader} makes it. */
    public OverlayDriver() {
        this(CommitObserver.NONE);
    }

    /** A driver whose pools report each commit's steps to {@code observer}. */
    public OverlayDriver(CommitObserver observer) {
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SpiVersion spiVersion() {
        return SpiVersion.current();
    }

    @Override
    public List<DriverParameter> parameters() {
        return List.of(
                DriverParameter.required("dir_path", "Directory holding the volumes (any file system: ext4, xfs, btrfs)"),
                StandardParameters.revisionsToKeep(),
                StandardParameters.ephemeralVolatile());
    }

    @Override
    public Pool create(PoolConfig config, DriverContext context) {
        return new OverlayPool(config, new DeviceMapper(context.commands(), Path.of("/dev/mapper"), ChainStack.NAMES), observer);
    }
}
