package org.qubesstorage.linux;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.OptionalLong;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

/** {@link DeviceMapperBackend} on the running kernel, through the loop and device-mapper ioctls. */
final class KernelDevices implements DeviceMapperBackend {
    /**
     * As {@code dmsetup remove --retry}: an LVM command's device scan, or udev's blkid probe, opens
     * every block device for a moment, and a remove in that moment fails with EBUSY.
     */
    private static final int REMOVE_ATTEMPTS = 25;
    private static final long REMOVE_PAUSE_MILLIS = 200;

    private final Path mapperDir;

    KernelDevices(Path mapperDir) {
        this.mapperDir = requireNonNull(mapperDir, "mapperDir");
    }

    @Override
    public Path mapperDir() {
        return mapperDir;
    }

    @Override
    public Path attachLoop(Path file, boolean readOnly) {
        return LoopControl.attach(file, readOnly);
    }

    @Override
    public void detachLoop(Path loop) {
        LoopControl.detach(loop);
    }

    @Override
    public void create(String name, String table, boolean readOnly) {
        DmTable parsed = DmTable.parse(table);
        long dev = DmIoctl.create(name);
        try {
            DmIoctl.load(name, parsed, readOnly);
            DmIoctl.resume(name);
        } catch (RuntimeException e) {
            try {
                DmIoctl.remove(name); // as libdm reverts a create whose table the kernel refused
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        DeviceNodes.ensure(mapperDir.resolve(name), dev);
    }

    @Override
    public void reload(String name, String table) {
        DmIoctl.load(name, DmTable.parse(table), false);
        DmIoctl.resume(name);
    }

    @Override
    public boolean loaded(String name) {
        return DmIoctl.status(name).isPresent();
    }

    @Override
    public void remove(String name) {
        for (int attempt = 1; ; attempt++) {
            try {
                DmIoctl.remove(name);
                break;
            } catch (StorageException e) {
                if (e.code() != ErrorCode.BUSY || attempt == REMOVE_ATTEMPTS) {
                    throw e;
                }
            }
            try {
                Thread.sleep(REMOVE_PAUSE_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException(ErrorCode.BUSY, "Interrupted while removing busy device " + name);
            }
        }
        DeviceNodes.drop(mapperDir.resolve(name));
    }

    @Override
    public boolean syncNode(String name) {
        OptionalLong dev = DmIoctl.status(name);
        if (dev.isPresent()) {
            DeviceNodes.ensure(mapperDir.resolve(name), dev.getAsLong());
        } else {
            DeviceNodes.drop(mapperDir.resolve(name));
        }
        return dev.isPresent();
    }
}
