package org.qubesstorage.xml;

import static java.util.Objects.requireNonNull;

/**
 * Where an element of interest stands in the original text, for lossless editing.
 *
 * @param kind        what the element is
 * @param domainIndex the owning domain's position among domains (-1 outside a domain)
 * @param key         the pool's or volume's name (empty for other kinds)
 * @param start       offset of its {@code <}
 * @param startTagEnd offset just past its start tag's {@code >}
 * @param end         offset just past the whole element
 * @param selfClosing whether it is written {@code <x .../>}
 */
record ElementRef(Kind kind, int domainIndex, String key, int start, int startTagEnd, int end, boolean selfClosing) {
    enum Kind { ROOT, POOLS, POOL, PROPERTIES, DOMAINS, DOMAIN, VOLUME_CONFIG, VOLUME, OTHER }

    ElementRef {
        requireNonNull(kind, "kind");
        requireNonNull(key, "key");
    }
}
