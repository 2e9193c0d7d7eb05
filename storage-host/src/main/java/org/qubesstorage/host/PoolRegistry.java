package org.qubesstorage.host;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured pools by name (upstream's {@code app.pools}). Pools loaded from {@code qubes.xml}
 * are registered without {@code setup()}; pools added at run time are set up first. A pool that
 * fails to load is reported in {@link #problems()} and left out, as upstream does.
 */
public final class PoolRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(PoolRegistry.class);

    private final PoolFactory factory;
    private final Map<String, Pool> pools = Collections.synchronizedMap(new LinkedHashMap<>());
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());

    public PoolRegistry(PoolFactory factory) {
        this.factory = requireNonNull(factory, "factory");
    }

    /** Registers every pool of {@code poolElements} (each a {@code <pool>} element's attributes). */
    public void load(List<Map<String, String>> poolElements) {
        for (Map<String, String> attrs : poolElements) {
            try {
                register(factory.create(attrs));
            } catch (StorageException e) {
                String problem = "Pool " + attrs.getOrDefault("name", "?") + " not loaded: " + e.getMessage();
                problems.add(problem);
                LOG.warn("{}", problem);
            }
        }
    }

    /** Registers an already made pool (no setup). */
    public void register(Pool pool) {
        synchronized (pools) {
            if (pools.containsKey(pool.name())) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "pool named " + pool.name() + " already exists");
            }
            pools.put(pool.name(), pool);
        }
    }

    /** Makes, sets up and registers a new pool (upstream's {@code app.add_pool}). */
    public Pool add(Map<String, String> attributes) {
        String name = attributes.get("name");
        if (name != null && pools.containsKey(name)) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "pool named " + name + " already exists");
        }
        Pool pool = factory.create(attributes);
        pool.setup();
        register(pool);
        return pool;
    }

    public Optional<Pool> find(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    /** The pool called {@code name}, or NOT_FOUND ("Unknown storage pool X"). */
    public Pool get(String name) {
        return find(name).orElseThrow(() -> StorageException.notFound("Unknown storage pool " + name));
    }

    /** Forgets a pool (its volumes stay on disk; {@code destroy()} is not called, as upstream). */
    public void remove(String name) {
        pools.remove(name);
    }

    public Collection<Pool> all() {
        synchronized (pools) {
            return List.copyOf(pools.values());
        }
    }

    public List<String> problems() {
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }
}
