package org.qubesstorage.linux;

import static java.util.Objects.requireNonNull;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link DeviceMapperBackend} on the running kernel, through the loop and device-mapper ioctls. */
final class KernelDevices implements DeviceMapperBackend {
    /**
     * As {@code dmsetup remove --retry}: an LVM command's device scan, or udev's blkid probe, opens
     * every block device for a moment, and a remove in that moment fails with EBUSY.
     */
    private static final int REMOVE_ATTEMPTS = 25;
    private static final long REMOVE_PAUSE_MILLIS = 200;

    /** How long udev may take to make or drop a node (libdm waits for it without a limit). */
    private static final long UDEV_WAIT_MILLIS = 10_000;
    /** udevd's control socket: where it exists, udev runs and owns {@code /dev/mapper}'s links. */
    private static final Path UDEV_CONTROL = Path.of("/run/udev/control");
    private static final Logger LOG = LoggerFactory.getLogger(KernelDevices.class);

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
        boolean udev = udevRuns();
        long dev = DmIoctl.create(name);
        try {
            DmIoctl.load(name, parsed, readOnly);
            DmIoctl.resume(name, udev ? DmIoctl.UDEV_FLAGS : 0);
        } catch (RuntimeException e) {
            try {
                DmIoctl.remove(name, udev ? DmIoctl.UDEV_FLAGS : 0); // as libdm reverts a create whose table the kernel refused
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        Path node = mapperDir.resolve(name);
        if (!udev || !awaitUdev(node, () -> DeviceNodes.leadsTo(node, dev), "make")) {
            DeviceNodes.ensure(node, dev);
        }
    }

    private static boolean udevRuns() {
        return Files.exists(UDEV_CONTROL);
    }

    /**
     * Waits for udev to bring {@code node} to the state {@code done} tests (as libdm's udev sync
     * waits, but by looking rather than by semaphore): making a node of our own beside udev's, or
     * dropping one it is about to drop, races with its late events for the same name.
     */
    private static boolean awaitUdev(Path node, BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + UDEV_WAIT_MILLIS * 1_000_000;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                LOG.warn("udev did not {} {} within {} ms; doing it here", what, node, UDEV_WAIT_MILLIS);
                return false;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    @Override
    public void reload(String name, String table) {
        DmIoctl.load(name, DmTable.parse(table), false);
        DmIoctl.resume(name, udevRuns() ? DmIoctl.UDEV_FLAGS : 0);
    }

    @Override
    public boolean loaded(String name) {
        return DmIoctl.status(name).isPresent();
    }

    @Override
    public void remove(String name) {
        boolean udev = udevRuns();
        for (int attempt = 1; ; attempt++) {
            try {
                if (!DmIoctl.remove(name, udev ? DmIoctl.UDEV_FLAGS : 0)) {
                    udev = false; // nothing was removed: no event for udev to act on
                }
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
        Path node = mapperDir.resolve(name);
        if (udev) {
            awaitUdev(node, () -> !Files.exists(node, LinkOption.NOFOLLOW_LINKS), "drop");
        }
        DeviceNodes.drop(node);
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
