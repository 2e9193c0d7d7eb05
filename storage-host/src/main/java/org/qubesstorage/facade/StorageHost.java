package org.qubesstorage.facade;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.qubesstorage.host.PoolRegistry;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.xml.DomainEntry;
import org.qubesstorage.xml.QubesXml;

/**
 * The storage of every domain in a {@code qubes.xml}: builds each domain's {@link DomainStorage} on
 * first use, templates before the domains based on them (so snapshot sources resolve in any load
 * order). Usable with or without Guice.
 */
public final class StorageHost {
    private final QubesXml xml;
    private final PoolRegistry pools;
    private final RunningState running;
    private final EphemeralCrypt crypt;
    private final VolumeResolver resolver;
    private final Map<String, DomainStorage> domains = new LinkedHashMap<>();
    private final Set<String> loading = new HashSet<>();

    public StorageHost(QubesXml xml, PoolRegistry pools, RunningState running) {
        this(xml, pools, running, EphemeralCrypt.system());
    }

    /** With the cryptsetup runner ephemeral volumes start through (a fake one in tests). */
    public StorageHost(QubesXml xml, PoolRegistry pools, RunningState running, EphemeralCrypt crypt) {
        this.xml = requireNonNull(xml, "xml");
        this.pools = requireNonNull(pools, "pools");
        this.running = requireNonNull(running, "running");
        this.crypt = requireNonNull(crypt, "crypt");
        this.resolver = new VolumeResolver(xml, pools, this);
    }

    public QubesXml xml() {
        return xml;
    }

    public PoolRegistry pools() {
        return pools;
    }

    public RunningState running() {
        return running;
    }

    /** The storage of domain {@code name}. */
    public synchronized DomainStorage domain(String name) {
        DomainStorage ds = domains.get(name);
        if (ds != null) {
            return ds;
        }
        DomainEntry entry = xml.domain(name).orElseThrow(() -> StorageException.notFound("No domain " + name));
        if (!loading.add(name)) {
            throw StorageException.invalidConfiguration("Template chain of " + name + " loops back to itself");
        }
        try {
            entry.template().ifPresent(this::domain);
            ds = DomainStorage.load(entry, resolver, running, crypt);
            domains.put(name, ds);
            return ds;
        } finally {
            loading.remove(name);
        }
    }

    /** Every domain's storage (AdminVM, which has none, included as empty). */
    public List<DomainStorage> all() {
        List<DomainStorage> all = new ArrayList<>();
        for (DomainEntry d : xml.domains()) {
            all.add(domain(d.name()));
        }
        return all;
    }
}
