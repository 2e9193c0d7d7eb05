package org.qubesstorage.file.kernel;

import java.util.List;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.spi.DriverParameter;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.PoolDriver;
import org.qubesstorage.spi.SpiVersion;

/**
 * The {@code linux-kernel} driver (upstream's {@code LinuxKernel}): read-only volumes that are the
 * kernels installed in dom0, {@code <dir>/<version>/modules.img}. Every qubes.xml has one such pool
 * and every domain a {@code kernel} volume in it, so the facade needs it to load real files.
 */
public final class LinuxKernelDriver implements PoolDriver {
    public static final String NAME = "linux-kernel";

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
        return List.of(DriverParameter.required("dir_path", "Directory of installed kernels (/var/lib/qubes/vm-kernels)"));
    }

    @Override
    public Pool create(PoolConfig config, DriverContext context) {
        return new LinuxKernelPool(config);
    }
}
