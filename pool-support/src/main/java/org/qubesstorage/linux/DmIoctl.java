package org.qubesstorage.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.qubesstorage.spi.StorageException;

/**
 * The device-mapper control ioctls ({@code linux/dm-ioctl.h}, interface version 4) on
 * {@code /dev/mapper/control}: what {@code dmsetup create}, {@code load}, {@code resume},
 * {@code info} and {@code remove} send, without starting a process for each (a spawn costs more
 * than the ioctl, and a start or stop of a stacked volume makes several).
 *
 * <p>Where udev runs, a resume or remove carries libdm's udev flags in {@code event_nr} as
 * {@code dmsetup --noudevsync} sends them (no semaphore to wait on), so lvm2's udev rules see the
 * event as coming from a device-mapper tool rather than a stray one, whatever their version does
 * with the latter; {@link KernelDevices} then waits for udev's link. Where udev does not run it
 * makes the node itself, as libdm does.
 */
final class DmIoctl {
    private static final Path CONTROL = Path.of("/dev/mapper/control");

    /** {@code sizeof(struct dm_ioctl)}, where the data starts (8-aligned). */
    static final int HEADER = 312;
    private static final long DATA_SIZE = 12;
    private static final long DATA_START = 16;
    private static final long TARGET_COUNT = 20;
    private static final long FLAGS = 28;
    private static final long EVENT_NR = 32;
    private static final long DEV = 40;
    private static final long NAME = 48;
    /** {@code DM_NAME_LEN}, NUL included. */
    private static final int NAME_LEN = 128;

    /** {@code sizeof(struct dm_target_spec)}: start, length, status, next, type[16]; params follow. */
    private static final int SPEC = 40;

    private static final int READONLY_FLAG = 1;

    private static final long DEV_CREATE = request(3);
    private static final long DEV_REMOVE = request(4);
    private static final long DEV_SUSPEND = request(6);
    private static final long DEV_STATUS = request(7);
    private static final long TABLE_LOAD = request(9);

    private DmIoctl() {}

    /** {@code _IOWR(DM_IOCTL, nr, struct dm_ioctl)}. */
    private static long request(int nr) {
        return 0xC000_0000L | ((long) HEADER << 16) | (0xfdL << 8) | nr;
    }

    /** The device number (glibc's {@code dev_t} encoding) of device {@code name}, if the kernel has it. */
    static OptionalLong status(String name) {
        if (!Files.exists(CONTROL)) {
            return OptionalLong.empty(); // no device-mapper here: it has no devices
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = header(arena, name, HEADER);
            int errno = call(DEV_STATUS, b);
            if (errno == Libc.ENXIO) {
                return OptionalLong.empty();
            }
            check(errno, "DM_DEV_STATUS", name);
            return OptionalLong.of(deviceNumber(b));
        }
    }

    /** Creates device {@code name} with no table (suspended, zero size); returns its device number. */
    static long create(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = header(arena, name, HEADER);
            check(call(DEV_CREATE, b), "DM_DEV_CREATE", name);
            return deviceNumber(b);
        }
    }

    /** Loads {@code table} as the inactive table of {@code name}; {@link #resume} makes it live. */
    static void load(String name, DmTable table, boolean readOnly) {
        long size = HEADER;
        for (DmTable.Target t : table.targets()) {
            size += specSize(t);
        }
        if (size > Integer.MAX_VALUE) {
            throw StorageException.invalidArgument("Device-mapper table of " + name + " too large: " + size + " bytes");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = header(arena, name, (int) size);
            b.set(JAVA_INT, TARGET_COUNT, table.targets().size());
            b.set(JAVA_INT, FLAGS, readOnly ? READONLY_FLAG : 0);
            long at = HEADER;
            for (DmTable.Target t : table.targets()) {
                int spec = specSize(t);
                b.set(JAVA_LONG, at, t.start());
                b.set(JAVA_LONG, at + 8, t.length());
                b.set(JAVA_INT, at + 20, spec); // next: from this spec to the next one
                putString(b, at + 24, t.type());
                putString(b, at + SPEC, t.params());
                at += spec;
            }
            check(call(TABLE_LOAD, b), "DM_TABLE_LOAD", name);
        }
    }

    /**
     * libdm's {@code DM_UDEV_DISABLE_LIBRARY_FALLBACK | DM_UDEV_PRIMARY_SOURCE_FLAG}, shifted into
     * {@code event_nr}'s upper half: the event comes from a device-mapper tool, and udev makes the node.
     */
    static final int UDEV_FLAGS = (0x0020 | 0x0040) << 16;

    /**
     * Makes the loaded table of {@code name} live (suspending it first where it already has one);
     * {@code udevFlags}: {@link #UDEV_FLAGS} where udev runs, else 0.
     */
    static void resume(String name, int udevFlags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = header(arena, name, HEADER);
            b.set(JAVA_INT, EVENT_NR, udevFlags);
            check(call(DEV_SUSPEND, b), "DM_DEV_SUSPEND (resume)", name);
        }
    }

    /**
     * Removes device {@code name}: false where the kernel has no such device; a {@code BUSY}
     * exception while something holds it open. {@code udevFlags} as for {@link #resume}.
     */
    static boolean remove(String name, int udevFlags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = header(arena, name, HEADER);
            b.set(JAVA_INT, EVENT_NR, udevFlags);
            int errno = call(DEV_REMOVE, b);
            if (errno == Libc.ENXIO) {
                return false;
            }
            check(errno, "DM_DEV_REMOVE", name);
            return true;
        }
    }

    private static int specSize(DmTable.Target t) {
        int params = t.params().getBytes(StandardCharsets.US_ASCII).length + 1;
        return SPEC + ((params + 7) & ~7);
    }

    private static MemorySegment header(Arena arena, String name, int size) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length >= NAME_LEN || n.length == 0) {
            throw StorageException.invalidArgument("Refusing device-mapper name of " + n.length + " bytes: " + name);
        }
        MemorySegment b = arena.allocate(size, 8);
        b.set(JAVA_INT, 0, 4); // interface version 4.0.0: any 4.x kernel accepts it
        b.set(JAVA_INT, DATA_SIZE, size);
        b.set(JAVA_INT, DATA_START, HEADER);
        MemorySegment.copy(n, 0, b, JAVA_BYTE, NAME, n.length);
        return b;
    }

    private static void putString(MemorySegment b, long offset, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(bytes, 0, b, JAVA_BYTE, offset, bytes.length); // the arena's zeros end it
    }

    /** The kernel's {@code huge_encode_dev} of the device, re-encoded as glibc's {@code makedev}. */
    private static long deviceNumber(MemorySegment b) {
        long dev = b.get(JAVA_LONG, DEV);
        long major = (dev >>> 8) & 0xfff;
        long minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
        return DeviceNodes.makedev(major, minor);
    }

    /** Runs one ioctl on the control device; the errno, 0 on success. */
    private static int call(long request, MemorySegment buffer) {
        if (!Files.exists(CONTROL)) {
            throw StorageException.backend("No device-mapper here: " + CONTROL + " does not exist (is dm_mod loaded?)", null);
        }
        try (NativeFile control = NativeFile.openReadWrite(CONTROL)) {
            int r;
            int errno;
            do {
                r = Libc.ioctl(control.fd(), request, buffer);
                errno = r < 0 ? Libc.errno() : 0;
            } while (errno == Libc.EINTR);
            return errno;
        }
    }

    private static void check(int errno, String call, String name) {
        if (errno != 0) {
            StorageException e = SyscallException.of("ioctl(" + call + ")", name, errno);
            if (errno == Libc.EINVAL) {
                // the kernel logs which target refused what
                throw new StorageException(e.code(), e.getMessage() + "; the kernel log (dmesg) says why");
            }
            throw e;
        }
    }
}
