package org.qubesstorage.file.legacy;

import java.nio.file.Path;
import java.util.List;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.spi.DriverParameter;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.PoolDriver;
import org.qubesstorage.spi.SpiVersion;
import org.qubesstorage.support.StandardParameters;

/**
 * The legacy {@code file} driver: sparse images with device-mapper copy-on-write while running.
 * Deprecated upstream since R4.1 but still found on old installations, which is why it is here: so
 * they can be read, run and migrated.
 */
public final class FileDriver implements PoolDriver {
    public static final String NAME = "file";

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
                DriverParameter.required("dir_path", "Directory holding appvms/ and vm-templates/"),
                StandardParameters.revisionsToKeep("0 or 1 (the file driver keeps at most one), or -1"),
                StandardParameters.ephemeralVolatile());
    }

    @Override
    public Pool create(PoolConfig config, DriverContext context) {
        return new FilePool(config, DeviceMapper.kernel(FilePool.DM_NAMES));
    }
}
