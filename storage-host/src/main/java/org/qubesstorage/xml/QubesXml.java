package org.qubesstorage.xml;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a {@code qubes.xml} says about storage: its pools, global properties and domains.
 *
 * @param format     R4 ({@code <qubes>}) or the legacy R2/R3 {@code <QubesVmCollection>}
 * @param pools      each {@code <pool>} element's attributes, in file order
 * @param properties global properties ({@code default_pool}, {@code default_pool_private}, ...)
 * @param domains    the domains, in file order
 */
public final class QubesXml {
    private final Format format;
    private final List<Map<String, String>> pools;
    private final Map<String, String> properties;
    private final List<DomainEntry> domains;
    /** Domains by name: lookups are constant-time, so work over all domains stays linear. */
    private final Map<String, DomainEntry> byName;
    /** "pool\0vid" → the domains recording a volume with that vid in that pool, in file order. */
    private final Map<String, List<String>> byVolume;

    /** The file's format. */
    public enum Format {
        /** R4.x: {@code <qubes>} with {@code <pools>}, {@code <properties>} and {@code <domains>}. */
        R4,
        /** R2/R3: {@code <QubesVmCollection>} with one element per VM and images in {@code dir_path}. */
        LEGACY_R2_R3
    }

    public QubesXml(Format format, List<Map<String, String>> pools, Map<String, String> properties,
            List<DomainEntry> domains) {
        this.format = requireNonNull(format, "format");
        this.pools = List.copyOf(pools);
        this.properties = Map.copyOf(properties);
        this.domains = List.copyOf(domains);
        Map<String, DomainEntry> index = new HashMap<>();
        Map<String, List<String>> volumes = new HashMap<>();
        for (DomainEntry d : this.domains) {
            index.putIfAbsent(d.name(), d);
            for (Map<String, String> v : d.volumes().values()) {
                String vid = v.get("vid");
                String pool = v.get("pool");
                if (vid != null && !vid.isEmpty() && pool != null && !pool.isEmpty()) {
                    volumes.computeIfAbsent(pool + "\0" + vid, k -> new ArrayList<>()).add(d.name());
                }
            }
        }
        this.byName = Map.copyOf(index);
        this.byVolume = Map.copyOf(volumes);
    }

    /** The domains whose {@code <volume>} records {@code vid} in pool {@code pool}, in file order. */
    public List<String> domainsRecording(String pool, String vid) {
        return byVolume.getOrDefault(pool + "\0" + vid, List.of());
    }

    public Format format() {
        return format;
    }

    public List<Map<String, String>> pools() {
        return pools;
    }

    public Map<String, String> properties() {
        return properties;
    }

    public List<DomainEntry> domains() {
        return domains;
    }

    public Optional<DomainEntry> domain(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public Optional<Map<String, String>> pool(String name) {
        return pools.stream().filter(p -> name.equals(p.get("name"))).findFirst();
    }

    /**
     * The default pool for a volume name, as upstream resolves it: the {@code default_pool_<name>}
     * property, else {@code default_pool}, else upstream's {@code _default_pool} fallback (a pool
     * named {@code default}, else a {@code file} or {@code file-reflink} pool on
     * {@code /var/lib/qubes}). Upstream's middle step, the thin pool holding dom0's root file
     * system, depends on the running host, not on the file, and is not taken here.
     */
    public Optional<String> defaultPoolFor(String volumeName) {
        String specific = properties.get("default_pool_" + volumeName);
        if (specific != null && !specific.isEmpty()) {
            return Optional.of(specific);
        }
        String general = properties.get("default_pool");
        if (general != null && !general.isEmpty()) {
            return Optional.of(general);
        }
        if (pool("default").isPresent()) {
            return Optional.of("default");
        }
        return pools.stream()
                .filter(p -> "file".equals(p.get("driver")) || "file-reflink".equals(p.get("driver")))
                .filter(p -> "/var/lib/qubes".equals(p.get("dir_path")))
                .map(p -> p.get("name"))
                .findFirst();
    }
}
