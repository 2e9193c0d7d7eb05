package org.qubesstorage.facade;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.qubesstorage.host.PoolRegistry;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PythonInt;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.xml.DomainEntry;
import org.qubesstorage.xml.QubesXml;

/**
 * Turns one {@code <volume>} of a domain into a {@link VolumeSpec} and its pool (upstream's
 * {@code Storage.init_volume}): class defaults under the recorded attributes, the pool from the
 * attribute or the {@code default_pool*} properties, and for a snapshot volume its source: the
 * recorded vid, or else the same-named volume up the template chain (DispVM → AppVM → TemplateVM),
 * whose pool and size it inherits.
 */
final class VolumeResolver {
    private final QubesXml xml;
    private final PoolRegistry pools;
    private final StorageHost host;

    VolumeResolver(QubesXml xml, PoolRegistry pools, StorageHost host) {
        this.xml = xml;
        this.pools = pools;
        this.host = host;
    }

    /** The pool and spec for volume {@code name} of {@code domain}. */
    record Resolved(Pool pool, VolumeSpec spec) {}

    Resolved resolve(DomainEntry domain, String name, Map<String, String> attrs) {
        VolumeDefaults.Defaults d = VolumeDefaults.forClass(domain.klass()).getOrDefault(name, VolumeDefaults.extra());
        boolean rw = bool(attrs, "rw", d.rw());
        boolean snap = bool(attrs, "snap_on_start", d.snapOnStart());
        boolean save = bool(attrs, "save_on_stop", d.saveOnStop());
        long size = Optional.ofNullable(attrs.get("size")).map(PythonInt::parseLong).orElse(d.size());
        OptionalInt rtk = attrs.containsKey("revisions_to_keep")
                ? OptionalInt.of(PythonInt.parseInt(attrs.get("revisions_to_keep"))) : OptionalInt.empty();
        Optional<Boolean> ephemeral = Optional.ofNullable(attrs.get("ephemeral")).map("True"::equals);
        Optional<String> vid = Optional.ofNullable(attrs.get("vid")).filter(v -> !v.isEmpty());
        boolean recordedVid = attrs.containsKey("vid");
        Optional<String> poolName = Optional.ofNullable(attrs.get("pool")).filter(p -> !p.isEmpty());

        Optional<Volume> source = Optional.empty();
        if (snap) {
            String recorded = attrs.get("source");
            if (recorded != null && !recorded.isEmpty()) {
                Pool p = pools.get(poolName.orElseThrow(() -> StorageException.invalidConfiguration(
                        "Volume " + domain.name() + ":" + name + " has a source but no pool")));
                source = Optional.of(findSource(domain, name, p, recorded));
            } else {
                Volume origin = templateOrigin(domain, name);
                source = Optional.of(origin);
                poolName = Optional.of(origin.pool().name());
                size = origin.config().size();
            }
        }
        String pn = poolName.or(() -> xml.defaultPoolFor(name)).orElseThrow(() -> StorageException.invalidConfiguration(
                "Volume " + domain.name() + ":" + name + " has no pool and there is no default_pool"));
        Pool pool = pools.get(pn);
        if (!recordedVid && pool.driverName().equals("linux-kernel")) {
            // Upstream's kernel volume takes its version from the domain's kernel property, whose
            // default is the global default_kernel (an empty value means no kernel).
            vid = Optional.ofNullable(domain.properties().get("kernel"))
                    .or(() -> Optional.ofNullable(xml.properties().get("default_kernel")))
                    .map(String::strip).filter(k -> !k.isEmpty());
        }
        VolumeSpec spec = new VolumeSpec(new DomainRef(domain.name(), domain.isTemplate()), name, vid, rw, save, snap,
                rtk, size, source, ephemeral);
        return new Resolved(pool, spec);
    }

    /**
     * The volume {@code vid} of {@code pool}. Upstream looks it up in the pool on disk, whatever order
     * the domains are loaded in; here the domain that records it is loaded first (found through
     * {@link QubesXml#domainsRecording}, so the order of domains in the file does not matter), and
     * only then is the pool asked, which finds volumes no domain records too.
     */
    private Volume findSource(DomainEntry domain, String name, Pool pool, String vid) {
        Optional<String> owner = xml.domainsRecording(pool.name(), vid).stream().findFirst();
        if (owner.isPresent() && !owner.get().equals(domain.name())) {
            host.domain(owner.get());
        }
        return pool.getVolume(vid).orElseThrow(() -> StorageException.notFound("Source volume " + vid + " of "
                + domain.name() + ":" + name + " is not in pool " + pool.name()));
    }

    private Volume templateOrigin(DomainEntry domain, String name) {
        String template = domain.template().orElseThrow(() -> StorageException.invalidConfiguration(
                "Snapshot volume " + domain.name() + ":" + name + " has no source and the domain no template"));
        Volume v = host.domain(template).volume(name);
        while (v.config().snapOnStart() && v.source().isPresent()) {
            v = v.source().get();
        }
        return v;
    }

    private static boolean bool(Map<String, String> attrs, String key, boolean dflt) {
        String v = attrs.get(key);
        return v == null ? dflt : v.equals("True");
    }
}
