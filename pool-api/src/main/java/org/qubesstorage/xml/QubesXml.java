package org.qubesstorage.xml;

import static java.util.Objects.requireNonNull;

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
public record QubesXml(Format format, List<Map<String, String>> pools, Map<String, String> properties,
        List<DomainEntry> domains) {

    /** The file's format. */
    public enum Format {
        /** R4.x: {@code <qubes>} with {@code <pools>}, {@code <properties>} and {@code <domains>}. */
        R4,
        /** R2/R3: {@code <QubesVmCollection>} with one element per VM and images in {@code dir_path}. */
        LEGACY_R2_R3
    }

    public QubesXml {
        requireNonNull(format, "format");
        pools = List.copyOf(pools);
        properties = Map.copyOf(properties);
        domains = List.copyOf(domains);
    }

    public Optional<DomainEntry> domain(String name) {
        return domains.stream().filter(d -> d.name().equals(name)).findFirst();
    }

    public Optional<Map<String, String>> pool(String name) {
        return pools.stream().filter(p -> name.equals(p.get("name"))).findFirst();
    }

    /**
     * The default pool for a volume name, as upstream's {@code default_pool_<name>} properties fall
     * back to {@code default_pool}.
     */
    public Optional<String> defaultPoolFor(String volumeName) {
        String specific = properties.get("default_pool_" + volumeName);
        if (specific != null && !specific.isEmpty()) {
            return Optional.of(specific);
        }
        return Optional.ofNullable(properties.get("default_pool")).filter(s -> !s.isEmpty());
    }
}
