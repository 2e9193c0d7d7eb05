package org.qubesstorage.xml;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One domain of {@code qubes.xml}.
 *
 * @param id         the element id ({@code domain-3}); for legacy files {@code qid-<qid>}
 * @param klass      the R4 class: TemplateVM, AppVM, StandaloneVM, DispVM, AdminVM
 * @param name       the domain name
 * @param qid        the qube id, if recorded
 * @param template   the template's name, for template-based classes
 * @param properties the domain's properties as recorded (legacy: the element's attributes)
 * @param volumes    each {@code <volume>} element's attributes by volume name, in file order; for
 *                   legacy files, what R4 would record for the VM's images
 * @param dirPath    legacy files only: the VM's image directory
 * @param images     legacy files only: the image file of each volume that has one ({@code root},
 *                   {@code private}, {@code volatile})
 */
public record DomainEntry(String id, String klass, String name, Optional<Integer> qid, Optional<String> template,
        Map<String, String> properties, Map<String, Map<String, String>> volumes, Optional<Path> dirPath,
        Map<String, Path> images) {
    public DomainEntry {
        requireNonNull(id, "id");
        requireNonNull(klass, "klass");
        requireNonNull(name, "name");
        requireNonNull(qid, "qid");
        requireNonNull(template, "template");
        properties = Map.copyOf(properties);
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        volumes.forEach((k, v) -> copy.put(k, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(v))));
        volumes = java.util.Collections.unmodifiableMap(copy);
        requireNonNull(dirPath, "dirPath");
        images = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(images));
    }

    public boolean isTemplate() {
        return klass.equals("TemplateVM");
    }

    /** Names of the volumes in file order. */
    public List<String> volumeNames() {
        return List.copyOf(volumes.keySet());
    }
}
