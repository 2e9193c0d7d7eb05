package org.qubesstorage.lvm;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code lvs} snapshot of a volume group, shared by every pool on it, kept current from what
 * each successful command did (upstream instead re-reads lvs after every change: reference §3.3,
 * users' #4953 and #10773). It is re-read only when never loaded, after a command failed (the state
 * is then unknown), or when usage figures are asked for and are older than {@link #USAGE_MAX_AGE}.
 */
final class LvsCache {
    /** Usage percentages change with every write; upstream refreshes them after 30 s too. */
    static final Duration USAGE_MAX_AGE = Duration.ofSeconds(30);

    private final String vg;
    private final LvmRunner lvm;
    private final Clock clock;
    private Map<String, LvInfo> lvs;
    private Instant loadedAt = Instant.EPOCH;

    LvsCache(String vg, LvmRunner lvm, Clock clock) {
        this.vg = LvmNames.check(vg);
        this.lvm = requireNonNull(lvm, "lvm");
        this.clock = requireNonNull(clock, "clock");
    }

    /** A copy of the snapshot, for iterating outside the lock. */
    synchronized Map<String, LvInfo> all() {
        return Map.copyOf(loaded());
    }

    synchronized Optional<LvInfo> get(String full) {
        return Optional.ofNullable(loaded().get(full));
    }

    synchronized boolean contains(String full) {
        return loaded().containsKey(full);
    }

    /** The live snapshot, read once if it never was; callers hold the lock. */
    private Map<String, LvInfo> loaded() {
        if (lvs == null) {
            refresh();
        }
        return lvs;
    }

    /** Re-reads the volume group (one lvm process). */
    synchronized void refresh() {
        Map<String, LvInfo> fresh = new LinkedHashMap<>();
        for (LvInfo lv : LvsReport.parse(lvm.run("Listing logical volumes of " + vg, LvmCommands.lvs(List.of(vg))))) {
            fresh.put(lv.full(), lv);
        }
        lvs = fresh;
        loadedAt = clock.instant();
    }

    /** Makes sure usage figures are at most {@link #USAGE_MAX_AGE} old. */
    synchronized void refreshUsageIfStale() {
        if (lvs == null || Duration.between(loadedAt, clock.instant()).compareTo(USAGE_MAX_AGE) > 0) {
            refresh();
        }
    }

    /** Forgets everything: the next read runs lvs (after a failed command, whose effect is unknown). */
    synchronized void invalidate() {
        lvs = null;
    }

    synchronized void created(LvInfo lv) {
        loaded();
        lvs.put(lv.full(), lv);
    }

    synchronized void removed(String full) {
        loaded();
        lvs.remove(full);
    }

    synchronized void renamed(String from, String to) {
        loaded();
        LvInfo lv = lvs.remove(from);
        if (lv != null) {
            lvs.put(to, lv.renamed(LvmNames.lv(to)));
        }
        // Snapshots record their origin by name: follow the rename.
        String fromName = LvmNames.lv(from);
        lvs.replaceAll((k, v) -> v.origin().equals(fromName)
                ? new LvInfo(v.vg(), v.name(), v.poolLv(), v.size(), v.dataPercent(), v.attr(), LvmNames.lv(to),
                        v.metadataSize(), v.metadataPercent())
                : v);
    }

    synchronized void resized(String full, long size) {
        loaded();
        lvs.computeIfPresent(full, (k, v) -> v.resized(size));
    }

    synchronized void activated(String full) {
        loaded();
        lvs.computeIfPresent(full, (k, v) -> v.activated());
    }
}
