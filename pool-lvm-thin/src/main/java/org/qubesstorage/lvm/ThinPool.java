package org.qubesstorage.lvm;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.qubesstorage.spi.AbstractPool;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.SpaceUse;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeRules;
import org.qubesstorage.spi.VolumeSpec;

/** An {@code lvm_thin} pool (upstream's {@code ThinPool} in {@code qubes/storage/lvm.py}). */
public final class ThinPool extends AbstractPool {
    private final String vg;
    private final String thinPool;
    private final DriverContext context;
    private final LvmRunner lvm;
    private final LvsCache cache;
    private final SpaceGuard guard;
    private final Map<String, String> extraConfig = new LinkedHashMap<>();
    private final Map<String, ThinVolume> volumes = new ConcurrentHashMap<>();

    ThinPool(PoolConfig config, DriverContext context, LvmRunner lvm, LvsCache cache) {
        super(config, 1);
        this.vg = LvmNames.check(config.require("volume_group"));
        this.thinPool = LvmNames.check(config.require("thin_pool"));
        this.context = context;
        this.lvm = lvm;
        this.cache = cache;
        double data = number(config, "max_data_percent", SpaceGuard.DEFAULT_DATA);
        double meta = number(config, "max_metadata_percent", SpaceGuard.DEFAULT_METADATA);
        OptionalDouble over = config.get("max_overprovisioning").map(v -> OptionalDouble.of(number(config, "max_overprovisioning", 0)))
                .orElse(OptionalDouble.empty());
        this.guard = new SpaceGuard(data, meta, over);
        for (String k : List.of("max_data_percent", "max_metadata_percent", "max_overprovisioning")) {
            config.get(k).ifPresent(v -> extraConfig.put(k, v));
        }
    }

    private static double number(PoolConfig config, String key, double dflt) {
        return config.get(key).map(v -> {
            try {
                return Double.parseDouble(v.strip());
            } catch (NumberFormatException e) {
                throw StorageException.invalidConfiguration("Pool " + config.name() + ": " + key + " must be a number, not '" + v + "'");
            }
        }).orElse(dflt);
    }

    String vg() {
        return vg;
    }

    String thinPoolName() {
        return thinPool;
    }

    String poolFull() {
        return vg + "/" + thinPool;
    }

    LvmRunner lvm() {
        return lvm;
    }

    LvsCache cache() {
        return cache;
    }

    DriverContext context() {
        return context;
    }

    /** The thin pool's own lvs entry; NOT_FOUND if it is gone. */
    LvInfo poolInfo() {
        return cache.get(poolFull()).orElseThrow(() -> StorageException.notFound("Thin pool " + poolFull() + " does not exist"));
    }

    /** Refuses with INSUFFICIENT_SPACE when {@code operation} would overfill the pool. */
    void admit(long addedVirtual, String operation) {
        cache.refreshUsageIfStale();
        guard.admit(name(), poolInfo(), cache.all(), addedVirtual, operation);
    }

    /**
     * The thresholds {@link #admit} applies at each operation, applied to a whole planned import:
     * the pool's data usage after {@code dataBytes} more must stay within {@code max_data_percent},
     * the metadata after an estimated mapping cost within {@code max_metadata_percent}, and the
     * virtual sizes within {@code max_overprovisioning}.
     */
    @Override
    public Optional<String> checkSpace(long dataBytes, long virtualBytes) {
        cache.refreshUsageIfStale();
        Optional<LvInfo> info = cache.get(poolFull());
        if (info.isEmpty()) {
            return Optional.of("Thin pool " + poolFull() + " does not exist");
        }
        return guard.check(name(), info.get(), cache.all(), dataBytes, virtualBytes);
    }

    @Override
    public String driverName() {
        return ThinDriver.NAME;
    }

    @Override
    public Map<String, String> config() {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("volume_group", vg);
        attrs.put("thin_pool", thinPool);
        Map<String, String> c = baseConfig(attrs);
        c.putAll(extraConfig);
        return c;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.ORIGIN_VOLUMES, Capability.SNAPSHOT_VOLUMES, Capability.VOLATILE_VOLUMES,
                Capability.REVISIONS, Capability.REVERT, Capability.SNAPSHOTS_DISABLED, Capability.GROW,
                Capability.SHRINK, Capability.EXPORT_WHILE_RUNNING, Capability.IMPORT_DATA, Capability.CHEAP_CLONE,
                Capability.SPACE_ACCOUNTING, Capability.DUPLICATE_REPORT);
    }

    /** From the pool's own mappings (thin_dump on a metadata snapshot): see {@link ThinSpace}. */
    @Override
    public Map<String, SpaceUse> volumeSpace() {
        return new ThinSpace(lvm, vg, thinPool).measure(listVolumes().stream().map(Volume::vid)
                .collect(Collectors.toCollection(LinkedHashSet::new)));
    }

    @Override
    public void setup() {
        cache.refresh();
        LvInfo pool = cache.get(poolFull()).orElseThrow(() -> StorageException.invalidConfiguration(
                "Thin pool " + poolFull() + " does not exist"));
        if (!pool.isThinPool()) {
            throw StorageException.invalidConfiguration("Volume " + poolFull() + " is not a thin pool");
        }
    }

    @Override
    public void destroy() {
        // As upstream: the thin pool and its volumes stay.
    }

    @Override
    public Volume initVolume(VolumeSpec spec) {
        VolumeRules.validate(this, spec);
        String vid = spec.vid().orElseGet(() -> LvmNames.vid(vg, spec.domain().name(), spec.name()));
        LvmNames.checkFull(vid);
        if (!LvmNames.vg(vid).equals(vg)) {
            throw StorageException.invalidArgument("Volume " + vid + " is not in volume group " + vg + " of pool " + name());
        }
        int rtk = spec.revisionsToKeep().orElse(revisionsToKeep());
        ThinVolume v = new ThinVolume(this, VolumeRules.toConfig(this, spec, vid, rtk), spec.source());
        volumes.put(vid, v);
        return v;
    }

    @Override
    public Optional<Volume> getVolume(String vid) {
        ThinVolume v = volumes.get(vid);
        if (v != null) {
            return Optional.of(v);
        }
        return cache.get(vid).filter(this::isOwnVolume).map(lv -> bare(vid, lv));
    }

    /** A volume found on disk but not configured in this process: an origin with its LV's size. */
    private Volume bare(String vid, LvInfo lv) {
        String lvName = LvmNames.lv(vid);
        String vm = lvName.startsWith("vm-") ? lvName.substring(3) : lvName;
        String domain = vm.contains("-") ? vm.substring(0, vm.lastIndexOf('-')) : "unknown";
        String volume = vm.contains("-") ? vm.substring(vm.lastIndexOf('-') + 1) : "volume";
        DomainRef ref;
        try {
            ref = new DomainRef(domain, false);
        } catch (StorageException e) {
            ref = new DomainRef("unknown", false);
        }
        return new ThinVolume(this, VolumeRules.toConfig(this, new VolumeSpec(ref, volume, Optional.of(vid), true, true, false,
                OptionalInt.of(revisionsToKeep()), lv.size(), Optional.empty(), Optional.empty()), vid, revisionsToKeep()),
                Optional.empty());
    }

    private boolean isOwnVolume(LvInfo lv) {
        String n = lv.name();
        return lv.vg().equals(vg) && lv.poolLv().equals(thinPool) && !n.endsWith(LvmNames.SNAP)
                && !n.endsWith(LvmNames.IMPORT) && !n.endsWith(LvmNames.BACK);
    }

    @Override
    public List<Volume> listVolumes() {
        List<Volume> out = new ArrayList<>();
        for (LvInfo lv : cache.all().values()) {
            if (isOwnVolume(lv)) {
                out.add(getVolume(lv.full()).orElseThrow());
            }
        }
        return out;
    }

    void forget(String vid) {
        volumes.remove(vid);
    }

    @Override
    public OptionalLong size() {
        return cache.get(poolFull()).map(p -> OptionalLong.of(p.size())).orElse(OptionalLong.empty());
    }

    @Override
    public OptionalLong usage() {
        cache.refreshUsageForReport();
        return cache.get(poolFull()).map(p -> OptionalLong.of(p.usage())).orElse(OptionalLong.empty());
    }

    @Override
    public Map<String, Long> usageDetails() {
        cache.refreshUsageForReport();
        Map<String, Long> m = new LinkedHashMap<>();
        cache.get(poolFull()).ifPresent(p -> {
            m.put("data_size", p.size());
            m.put("data_usage", p.usage());
            m.put("metadata_size", p.metadataSize());
            m.put("metadata_usage", p.metadataUsage());
        });
        return m;
    }
}
