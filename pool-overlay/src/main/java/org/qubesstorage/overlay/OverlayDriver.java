package org.qubesstorage.overlay;

import java.util.List;
import java.util.Objects;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.linux.DeviceMapperBackend;
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
    private final DeviceMapperBackend devices;

    /** The driver as {@code ServiceLoader} makes it. */
    public OverlayDriver() {
        this(CommitObserver.NONE);
    }

    /** A driver whose pools report each commit's steps to {@code observer}. */
    public OverlayDriver(CommitObserver observer) {
        this(observer, DeviceMapperBackend.kernel());
    }

    /**
     * A driver whose pools report each commit's steps to {@code observer} and stack their devices
     * through {@code devices} (a test's may fail at a chosen step, as a process killed there).
     */
    public OverlayDriver(CommitObserver observer, DeviceMapperBackend devices) {
        this.observer = Objects.requireNonNull(observer, "observer");
        this.devices = Objects.requireNonNull(devices, "devices");
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
        return new OverlayPool(config, new DeviceMapper(devices, ChainStack.NAMES), observer);
    }
}
