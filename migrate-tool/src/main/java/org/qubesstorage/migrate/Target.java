package org.qubesstorage.migrate;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.StorageException;

/**
 * The pool volumes move to: one already in qubes.xml ({@code --pool}), or an {@code lvm_thin} pool
 * over an existing thin pool that the migration adds to qubes.xml ({@code --vg --thin-pool}).
 *
 * @param pool  the loaded pool
 * @param added       the {@code <pool>} attributes to add, or null if the pool is already recorded
 * @param unreachable for a dry run only: why the pool could not be set up here (its volumes are
 *                    named, its space is not checked), or null
 */
record Target(Pool pool, Map<String, String> added, String unreachable) {
    /** The driver {@code --vg}/{@code --thin-pool} make a pool of; it alone validates the names. */
    static final String THIN_DRIVER = "lvm_thin";

    Target {
        requireNonNull(pool, "pool");
    }

    static Target named(Installation inst, String name) {
        if (inst.model().pool(name).isEmpty()) {
            throw ToolException.input("No pool named " + name + " in " + inst.file().path() + " (pools: "
                    + inst.model().pools().stream().map(p -> p.get("name")).toList() + ")");
        }
        Pool pool = inst.pools().find(name).orElseThrow(() -> ToolException.input("Pool " + name
                + " could not be loaded: " + String.join("; ", inst.pools().problems())));
        return new Target(pool, null, null);
    }

    static Target thinPool(Installation inst, String vg, String thinPool, Optional<String> poolName, boolean dryRun) {
        for (Map<String, String> p : inst.model().pools()) {
            if (THIN_DRIVER.equals(p.get("driver")) && vg.equals(p.get("volume_group")) && thinPool.equals(p.get("thin_pool"))
                    && poolName.map(n -> n.equals(p.get("name"))).orElse(true)) {
                return named(inst, p.get("name"));
            }
        }
        String name = poolName.orElse("vm-pool");
        if (inst.model().pool(name).isPresent()) {
            throw ToolException.input("A pool named " + name + " already exists in " + inst.file().path()
                    + " and is not " + vg + "/" + thinPool + "; choose another name with --pool-name");
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("name", name);
        attrs.put("driver", THIN_DRIVER);
        attrs.put("volume_group", vg);
        attrs.put("thin_pool", thinPool);
        try {
            return new Target(inst.pools().add(attrs), attrs, null);
        } catch (StorageException e) {
            boolean badValue = e.code() == ErrorCode.INVALID_ARGUMENT || e.code() == ErrorCode.INVALID_CONFIGURATION;
            if (dryRun && !badValue) {
                return new Target(inst.unsetUpPool(attrs), attrs, e.getMessage());
            }
            throw ToolException.of("Cannot use thin pool " + vg + "/" + thinPool + ": ", e);
        }
    }

    /** The target as recorded in a journal: the pool is loaded again, and added again if it was new. */
    static Target reload(Installation inst, String name, Map<String, String> added) {
        if (inst.model().pool(name).isPresent()) {
            return new Target(named(inst, name).pool(), added, null);
        }
        if (added == null) {
            throw ToolException.input("The journal's target pool " + name + " is no longer in " + inst.file().path());
        }
        try {
            return new Target(inst.pools().add(added), added, null);
        } catch (StorageException e) {
            throw ToolException.of("Cannot load the journal's target pool " + name + ": ", e);
        }
    }
}
