package org.qubesstorage.lvm;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.spi.DriverParameter;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.PoolDriver;
import org.qubesstorage.spi.SpiVersion;
import org.qubesstorage.support.StandardParameters;
import org.qubesstorage.spi.StorageException;

/**
 * The {@code lvm_thin} driver: volumes as thin LVs, named exactly as upstream names them. Pools on
 * the same volume group share one {@code lvs} cache.
 */
public final class ThinDriver implements PoolDriver {
    public static final String NAME = "lvm_thin";

    private final Map<String, LvsCache> caches = new ConcurrentHashMap<>();

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
                DriverParameter.required("volume_group", "The volume group holding the thin pool"),
                DriverParameter.required("thin_pool", "The thin pool LV in that volume group"),
                StandardParameters.revisionsToKeep(),
                StandardParameters.ephemeralVolatile(),
                DriverParameter.optional("max_data_percent", "90", "Refuse to allocate above this data usage"),
                DriverParameter.optional("max_metadata_percent", "80", "Refuse to allocate above this metadata usage"),
                new DriverParameter("max_overprovisioning", false,
                        "Refuse when thin volume sizes would exceed this multiple of the pool size", false,
                        java.util.Optional.empty()));
    }

    @Override
    public Pool create(PoolConfig config, DriverContext context) {
        String vg = LvmNames.check(config.require("volume_group"));
        LvmRunner lvm = new LvmRunner(context.commands());
        return new ThinPool(config, context, lvm, cache(vg, lvm, context));
    }

    /**
     * Starts reading {@code volume_group}'s {@code lvs} report in the background, for the first pool
     * this driver sets up on it to use instead of running lvs then (see {@link LvsCache#prefetch}).
     * A name lvm would refuse is left for {@link #create} to report.
     */
    @Override
    public void prepare(Map<String, String> parameters, DriverContext context) {
        String vg = parameters.get("volume_group");
        try {
            String checked = LvmNames.check(vg);
            cache(checked, new LvmRunner(context.commands()), context).prefetch();
        } catch (StorageException e) {
            // reported by create() when the pool is made, as without the hint
        }
    }

    private LvsCache cache(String vg, LvmRunner lvm, DriverContext context) {
        return caches.computeIfAbsent(vg, k -> new LvsCache(k, lvm, context.clock()));
    }
}
