package org.qubesstorage.linux;

import java.nio.file.Path;

/**
 * What {@link DeviceMapper} asks of the kernel: loop devices, device-mapper devices and their
 * nodes. {@link #kernel()} is the real one (ioctls, no processes); a unit test may pass its own to
 * record what a driver builds on a machine without device-mapper.
 *
 * <p>Names reach an implementation already checked against the driver's pattern. Callers
 * serialise changes to the devices of one pool; implementations need no lock of their own for
 * that, but must stay correct when two pools attach the same file at once.
 */
public interface DeviceMapperBackend {
    /** The backend of the running kernel, nodes in {@code /dev/mapper}. */
    static DeviceMapperBackend kernel() {
        return new KernelDevices(Path.of("/dev/mapper"));
    }

    /** Where the nodes of devices appear ({@code /dev/mapper}). */
    Path mapperDir();

    /**
     * A loop device on all of {@code file}: one already attached to it (never a second one for the
     * same file), else a free one newly attached, read-only if asked.
     */
    Path attachLoop(Path file, boolean readOnly);

    /** Detaches {@code loop} (at its last close, if something holds it open). */
    void detachLoop(Path loop);

    /**
     * Creates device {@code name} with {@code table} (text as {@code dmsetup} takes it), live and
     * with its node in {@link #mapperDir()}. On failure no device of that name is left behind.
     */
    void create(String name, String table, boolean readOnly);

    /** Replaces the table of device {@code name} and makes the new one live. */
    void reload(String name, String table);

    /** Whether the kernel has device {@code name}. */
    boolean loaded(String name);

    /**
     * Removes device {@code name} if the kernel has it, retrying for a few seconds while it is
     * busy, and drops its node.
     */
    void remove(String name);

    /**
     * Makes the node of {@code name} agree with the kernel: made where missing or leading
     * elsewhere, dropped where the kernel has no such device. Returns whether the kernel has it.
     */
    boolean syncNode(String name);
}
