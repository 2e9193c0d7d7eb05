package org.qubesstorage.file.reflink;

import java.util.List;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.spi.DriverParameter;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.PoolDriver;
import org.qubesstorage.spi.SpiVersion;
import org.qubesstorage.support.StandardParameters;

/** The {@code file-reflink} driver: plain image files, reflink copies (upstream's default on btrfs/xfs). */
public final class ReflinkDriver implements PoolDriver {
    public static final String NAME = "file-reflink";

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
                DriverParameter.required("dir_path", "Directory holding appvms/ and vm-templates/ (e.g. /var/lib/qubes)"),
                StandardParameters.revisionsToKeep(),
                DriverParameter.optional("setup_check", "True", "Refuse setup on a file system without reflink support"),
                StandardParameters.ephemeralVolatile());
    }

    @Override
    public Pool create(PoolConfig config, DriverContext context) {
        return new ReflinkPool(config, context);
    }
}
