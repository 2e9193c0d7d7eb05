package org.qubesstorage.lvm;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One {@code lvs} snapshot of a volume group, shared by every pool on it, kept current from what
 * each successful command did (upstream instead re-reads lvs after every change, {@code reset_cache}
 * in {@code qubes/storage/lvm.py}; users' #4953 and #10773). It is re-read only when never loaded, after a command failed (the state
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
    /**
     * Whether this process changed the volume group, or handed out an LV for writing, since the last
     * read: usage figures it then reports must be read again, not aged up to 30 s.
     */
    private boolean changedSinceRead;
    /** A report being read ahead ({@link #prefetch}), taken by the next {@link #refresh}; null when none. */
    private CompletableFuture<Snapshot> pending;

    /** One reading of the report, with when it was started (its usage figures are at least that old). */
    private record Snapshot(Map<String, LvInfo> lvs, Instant startedAt) {}

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

    /**
     * Starts reading the report on a background thread, if it was never read and is not being read,
     * for the next {@link #refresh} to take instead of running lvs then. For a caller that knows the
     * volume group well before it sets a pool up (qvm-to-lvm, from its command line, while it reads
     * qubes.xml): lvs then runs alongside that work, not after it. The report is as current as one
     * read at the refresh: nothing of this cache's has run an lvm command in between (every change
     * it makes goes through a loaded snapshot, which takes the pending one first), and another
     * process's change could as well come just after the refresh.
     */
    synchronized void prefetch() {
        if (lvs == null && pending == null) {
            pending = CompletableFuture.supplyAsync(this::read, runnable -> Thread.ofPlatform().name("lvs-prefetch-" + vg)
                    .daemon().start(runnable));
        }
    }

    /** Re-reads the volume group (one lvm process), or takes the report {@link #prefetch} started. */
    synchronized void refresh() {
        Snapshot s = null;
        if (pending != null) {
            CompletableFuture<Snapshot> p = pending;
            pending = null;
            try {
                s = p.join();
            } catch (CompletionException e) {
                // read again below: the failure (or a transient one's absence) is reported by that read
            }
        }
        if (s == null) {
            s = read();
        }
        lvs = s.lvs();
        loadedAt = s.startedAt();
        changedSinceRead = false;
    }

    /** Runs lvs; touches none of this cache's fields, so it may run on another thread. */
    private Snapshot read() {
        Instant started = clock.instant();
        Map<String, LvInfo> fresh = new LinkedHashMap<>();
        for (LvInfo lv : LvsReport.parse(lvm.run("Listing logical volumes of " + vg, LvmCommands.lvs(List.of(vg))))) {
            fresh.put(lv.full(), lv);
        }
        return new Snapshot(fresh, started);
    }

    /** Makes sure usage figures are at most {@link #USAGE_MAX_AGE} old. */
    synchronized void refreshUsageIfStale() {
        if (lvs == null || Duration.between(loadedAt, clock.instant()).compareTo(USAGE_MAX_AGE) > 0) {
            refresh();
        }
    }

    /**
     * Makes sure usage figures reported to a user are current: at most {@link #USAGE_MAX_AGE} old,
     * and read after this process's own last change (a volume it just created and wrote must not
     * show 0 for 30 s).
     */
    synchronized void refreshUsageForReport() {
        if (changedSinceRead) {
            refresh();
        } else {
            refreshUsageIfStale();
        }
    }

    /** Records that an LV was handed out for writing: its usage and the pool's may change. */
    synchronized void writable() {
        changedSinceRead = true;
    }

    /** Forgets everything: the next read runs lvs (after a failed command, whose effect is unknown). */
    synchronized void invalidate() {
        lvs = null;
        pending = null; // started before the failed command: it may predate the command's effect
    }

    synchronized void created(LvInfo lv) {
        loaded();
        changedSinceRead = true;
        lvs.put(lv.full(), lv);
    }

    synchronized void removed(String full) {
        loaded();
        changedSinceRead = true;
        lvs.remove(full);
    }

    synchronized void renamed(String from, String to) {
        loaded();
        changedSinceRead = true;
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
        changedSinceRead = true;
        lvs.computeIfPresent(full, (k, v) -> v.resized(size));
    }

    synchronized void activated(String full) {
        loaded();
        changedSinceRead = true;
        lvs.computeIfPresent(full, (k, v) -> v.activated());
    }
}
