package org.qubesstorage.migrate;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.qubesstorage.xml.DomainEntry;
import org.qubesstorage.xml.QubesXml;

/**
 * The domains that may start from a domain's copied volumes: those recording one of them as
 * their {@code source}, and those whose template chain leads to the domain. Indexed once, on
 * first use, so planning stays linear in the number of domains; {@link Snapshots#startsFrom}
 * then decides for each candidate's volumes.
 */
final class FollowerIndex {
    private final QubesXml model;
    /** "pool\0source vid" → the domains recording it as a volume's source. */
    private final Map<String, List<String>> bySource = new HashMap<>();
    /** Template name → the domains directly based on it. */
    private final Map<String, List<String>> byTemplate = new HashMap<>();
    private final Map<String, Integer> fileOrder = new HashMap<>();

    FollowerIndex(QubesXml model) {
        this.model = model;
    }

    /** Candidates for {@code d}, whose copied volumes are {@code sources} ("pool\0vid"), in file order. */
    List<DomainEntry> candidates(DomainEntry d, List<String> sources) {
        if (sources.isEmpty()) {
            return List.of();
        }
        index();
        Set<String> names = new LinkedHashSet<>();
        for (String s : sources) {
            names.addAll(bySource.getOrDefault(s, List.of()));
        }
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(d.name()));
        while (!todo.isEmpty()) {
            for (String child : byTemplate.getOrDefault(todo.pop(), List.of())) {
                if (names.add(child)) {
                    todo.push(child);
                }
            }
        }
        names.remove(d.name());
        return names.stream().map(n -> model.domain(n).orElseThrow())
                .sorted(Comparator.comparingInt(o -> fileOrder.get(o.name()))).toList();
    }

    private void index() {
        if (!fileOrder.isEmpty()) {
            return;
        }
        List<DomainEntry> all = model.domains();
        for (int i = 0; i < all.size(); i++) {
            DomainEntry o = all.get(i);
            fileOrder.put(o.name(), i);
            o.template().ifPresent(t -> byTemplate.computeIfAbsent(t, k -> new ArrayList<>()).add(o.name()));
            for (Map<String, String> a : o.volumes().values()) {
                if (a.containsKey("source")) {
                    bySource.computeIfAbsent(a.get("pool") + "\0" + a.get("source"), k -> new ArrayList<>()).add(o.name());
                }
            }
        }
    }
}
