package org.qubesstorage.migrate;

import java.util.Map;
import java.util.Optional;
import org.qubesstorage.facade.VolumeDefaults;
import org.qubesstorage.xml.DomainEntry;
import org.qubesstorage.xml.QubesXml;

/**
 * Which recorded volumes start from another domain's volume: a snapshot volume
 * ({@code snap_on_start} without {@code save_on_stop}, by attribute or by its class's default) names
 * its source by vid, or, without a {@code source} attribute, takes the same-named volume up its
 * template chain.
 */
final class Snapshots {
    private Snapshots() {}

    /** Whether volume {@code name} of {@code d}, recorded as {@code attrs}, is a snapshot volume. */
    static boolean isSnapshot(DomainEntry d, String name, Map<String, String> attrs) {
        VolumeDefaults.Defaults dflt = VolumeDefaults.forClass(d.klass()).getOrDefault(name, VolumeDefaults.extra());
        boolean snap = Optional.ofNullable(attrs.get("snap_on_start")).map("True"::equals).orElse(dflt.snapOnStart());
        boolean save = Optional.ofNullable(attrs.get("save_on_stop")).map("True"::equals).orElse(dflt.saveOnStop());
        return snap && !save;
    }

    /**
     * Whether {@code d}'s volume {@code name} ({@code attrs}) starts from the volume {@code sourcePool}:
     * {@code sourceVid} that is volume {@code sourceName} of domain {@code owner}.
     */
    static boolean startsFrom(QubesXml model, DomainEntry d, String name, Map<String, String> attrs, String owner,
            String sourceName, String sourcePool, String sourceVid) {
        if (d.name().equals(owner) || !isSnapshot(d, name, attrs) || !sourcePool.equals(attrs.get("pool"))) {
            return false;
        }
        if (attrs.containsKey("source")) {
            return sourceVid.equals(attrs.get("source"));
        }
        return name.equals(sourceName) && basedOn(model, d, owner);
    }

    /** Whether {@code template} is up {@code d}'s template chain. */
    static boolean basedOn(QubesXml model, DomainEntry d, String template) {
        Optional<String> t = d.template();
        for (int i = 0; i < 32 && t.isPresent(); i++) {
            if (t.get().equals(template)) {
                return true;
            }
            t = model.domain(t.get()).flatMap(DomainEntry::template);
        }
        return false;
    }
}
