package org.qubesstorage.tck;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether this process can use device-mapper and LVM here, without the test VM. */
public final class LocalDeviceMapper {
    private LocalDeviceMapper() {}

    /** Root, lvm2 installed, and a kernel with device-mapper (this project's CI host has none). */
    public static boolean usable() {
        try {
            boolean root = ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
            boolean dm = Files.readString(Path.of("/proc/devices")).contains("device-mapper")
                    || Files.readString(Path.of("/proc/misc")).contains("device-mapper");
            boolean lvm = Files.isExecutable(Path.of("/sbin/lvm")) || Files.isExecutable(Path.of("/usr/sbin/lvm"));
            return root && dm && lvm;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
