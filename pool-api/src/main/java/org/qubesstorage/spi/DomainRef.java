package org.qubesstorage.spi;

import static java.util.Objects.requireNonNull;

/**
 * The domain (qube) a volume belongs to, as far as a driver needs to know it.
 *
 * @param name     the validated domain name
 * @param template whether the domain is a TemplateVM (file drivers keep templates under
 *                 {@code vm-templates/}, every other class under {@code appvms/})
 */
public record DomainRef(String name, boolean template) {
    public DomainRef {
        Names.requireVmName(requireNonNull(name, "name"));
    }

    /** Upstream's per-domain directory prefix for file based pools. */
    public String dirPrefix() {
        return template ? "vm-templates" : "appvms";
    }
}
