package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What a started volume hands to the hypervisor: upstream's {@code BlockDevice}.
 *
 * @param path    the block device or image file the domain sees
 * @param name    the volume name ({@code root}, {@code private}, ...)
 * @param rw      whether the domain may write to it
 * @param domain  the backend domain serving it, empty for dom0
 * @param devtype {@code disk} (or {@code cdrom})
 */
public record BlockDevice(Path path, String name, boolean rw, Optional<String> domain, String devtype) {
    public BlockDevice {
        requireNonNull(path, "path");
        requireNonNull(name, "name");
        requireNonNull(domain, "domain");
        requireNonNull(devtype, "devtype");
    }

    public static BlockDevice disk(Path path, String name, boolean rw) {
        return new BlockDevice(path, name, rw, Optional.empty(), "disk");
    }
}
