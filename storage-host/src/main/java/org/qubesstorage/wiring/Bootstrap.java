package org.qubesstorage.wiring;

import static java.util.Objects.requireNonNull;

import com.google.inject.Injector;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.qubesstorage.facade.EphemeralCrypt;
import org.qubesstorage.facade.RunningState;
import org.qubesstorage.facade.StorageHost;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.PoolFactory;
import org.qubesstorage.host.PoolRegistry;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.xml.QubesXmlFile;

/**
 * The one way from a {@code qubes.xml} and the drivers found to loaded pools, and from them to the
 * per-domain facade: {@link StorageModule}, both command lines and the tests start here. Reads no
 * more than the file already read; each pool is made by its driver and set up, and a pool that
 * cannot be is a {@linkplain PoolRegistry#problems() problem} of the registry, never a failure of
 * the whole load.
 *
 * @param file    the qubes.xml as read
 * @param drivers the drivers found (class path and plugin directory)
 * @param factory makes pools (also pools added later, such as a migration's target)
 * @param pools   the file's pools, loaded
 */
public record Bootstrap(QubesXmlFile file, DriverRegistry drivers, PoolFactory factory, PoolRegistry pools) {
    public Bootstrap {
        requireNonNull(file, "file");
        requireNonNull(drivers, "drivers");
        requireNonNull(factory, "factory");
        requireNonNull(pools, "pools");
    }

    /** The file's pools as recorded, without a host injector. */
    public static Bootstrap load(QubesXmlFile file, DriverRegistry drivers, DriverContext context) {
        return load(file, drivers, context, Optional.empty(), UnaryOperator.identity());
    }

    /**
     * The file's pools, each {@code <pool>} element's attributes passed through
     * {@code poolAttributes} first (a tool reading an old disk re-roots its {@code dir_path}s);
     * drivers with a Guice module get a child injector of {@code hostInjector} where present.
     */
    public static Bootstrap load(QubesXmlFile file, DriverRegistry drivers, DriverContext context,
                                 Optional<Injector> hostInjector, UnaryOperator<Map<String, String>> poolAttributes) {
        PoolFactory factory = new PoolFactory(drivers, context, hostInjector);
        PoolRegistry pools = new PoolRegistry(factory);
        List<Map<String, String>> elements = file.document().model().pools().stream().map(poolAttributes).toList();
        pools.load(elements);
        return new Bootstrap(file, drivers, factory, pools);
    }

    /**
     * The per-domain facade over these pools; {@code running} is where domains' running state is
     * kept. Ephemeral volumes' cryptsetup runs through the pools' command runner.
     */
    public StorageHost host(RunningState running) {
        return new StorageHost(file.document().model(), pools, running, new EphemeralCrypt(factory.context().commands()));
    }
}
