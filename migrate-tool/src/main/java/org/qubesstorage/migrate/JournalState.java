package org.qubesstorage.migrate;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A journal replayed: the plan it carries out and how far each step got.
 *
 * @param plan          the run's plan (as recorded at its start)
 * @param backup        the copy of the original qubes.xml made before the first change
 * @param pids          the processes that worked on it (their temporary files may be left over)
 * @param started       "domain/volume" of every import begun
 * @param committed     "domain/volume" → result, of every import verified and committed
 * @param saving        domain (or {@code <pool>}) → SHA-256 its save was about to write
 * @param saved         domains (or {@code <pool>}) whose save completed
 * @param failed        domain → why it failed
 * @param sourcesRemoved "domain/volume" whose source was removed
 * @param lastWrittenSha the SHA-256 of the last qubes.xml this run wrote or was writing
 */
record JournalState(MigrationPlan plan, Path backup, boolean removeSource, boolean fsAware, List<Long> pids,
        Set<String> started, Map<String, VolumeResult> committed, Map<String, String> saving, Set<String> saved,
        Map<String, String> failed, Set<String> sourcesRemoved, Optional<String> lastWrittenSha, boolean done,
        boolean rollbackStarted, boolean rolledBack) {
    static final String POOL = "<pool>";

    static JournalState replay(List<Journal.Entry> entries, Path journal) {
        if (entries.isEmpty() || entries.getFirst().type() != JournalStep.RUN || entries.getFirst().plan() == null) {
            throw ToolException.input("Journal " + journal + " does not start with a run record");
        }
        Journal.Entry run = entries.getFirst();
        List<Long> pids = new ArrayList<>();
        Set<String> started = new HashSet<>();
        Map<String, VolumeResult> committed = new LinkedHashMap<>();
        Map<String, String> saving = new HashMap<>();
        Set<String> saved = new HashSet<>();
        Map<String, String> failed = new LinkedHashMap<>();
        Set<String> removed = new HashSet<>();
        String lastSha = null;
        boolean done = false;
        boolean rollbackStarted = false;
        boolean rolledBack = false;
        for (Journal.Entry e : entries) {
            String dv = e.domain() + "/" + e.volume();
            switch (e.type()) {
                case RUN, RESUME, ROLLBACK_STARTED -> {
                    if (e.pid() != null) {
                        pids.add(e.pid());
                    }
                    if (e.type() == JournalStep.ROLLBACK_STARTED) {
                        rollbackStarted = true;
                    }
                }
                case IMPORT_STARTED -> {
                    started.add(dv);
                    committed.remove(dv);
                }
                case COMMITTED -> committed.put(dv, e.result());
                case XML_SAVING -> {
                    saving.put(e.domain(), e.sha256());
                    lastSha = e.sha256();
                }
                case XML_SAVED -> {
                    saved.add(e.domain());
                    lastSha = e.sha256();
                }
                case DOMAIN_FAILED -> failed.put(e.domain(), e.detail());
                case SOURCE_REMOVED -> removed.add(dv);
                case DONE -> done = true;
                case ROLLED_BACK -> rolledBack = true;
                case SOURCE_KEPT -> { } // only reported
            }
        }
        return new JournalState(run.plan(), run.backup() == null ? null : Path.of(run.backup()),
                Boolean.TRUE.equals(run.removeSource()), Boolean.TRUE.equals(run.fsAware()), pids, started, committed,
                saving, saved, failed, removed, Optional.ofNullable(lastSha), done, rollbackStarted, rolledBack);
    }

    boolean finished() {
        return done || rolledBack;
    }
}
