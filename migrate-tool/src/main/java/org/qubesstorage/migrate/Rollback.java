package org.qubesstorage.migrate;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.copy.SparseCopier;
import org.qubesstorage.migrate.MigrationPlan.Action;
import org.qubesstorage.migrate.MigrationPlan.DomainPlan;
import org.qubesstorage.migrate.MigrationPlan.VolumePlan;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.xml.DomainEntry;
import org.qubesstorage.xml.QubesXmlDocument;
import org.qubesstorage.xml.QubesXmlFile;

/**
 * Undoes what a journaled run did: the touched domains' qubes.xml entries come back first (so
 * nothing refers to the new volumes any more), then the volumes the run created are removed.
 * When qubes.xml is exactly what the run left, the original is written back byte for byte;
 * when someone changed it since, only the attributes the run changed are restored, losslessly.
 *
 * <p>A domain is kept as migrated, and said so, when undoing it would lose data: its source
 * images were removed ({@code --remove-source}), or a new volume's content changed since it was
 * copied (the domain was used after the move), or it is in use now.
 */
final class Rollback {
    private static final SparseCopier COPIER = new SparseCopier();

    private final Installation inst;
    private final Target target;
    private final JournalState state;
    private final Journal journal;
    private final List<RunningCheck> checks;
    private final RunReport report;

    record Result(List<String> restored, Map<String, String> kept, List<String> removedVolumes) {}

    private final RunObserver observer;

    Rollback(Installation inst, Target target, JournalState state, Journal journal, List<RunningCheck> checks, RunReport report,
             RunObserver observer) {
        this.observer = requireNonNull(observer, "observer");
        this.inst = requireNonNull(inst, "inst");
        this.target = requireNonNull(target, "target");
        this.state = requireNonNull(state, "state");
        this.journal = requireNonNull(journal, "journal");
        this.checks = List.copyOf(checks);
        this.report = requireNonNull(report, "report");
    }

    Result run() {
        journal.append(Journal.Entry.of(JournalStep.ROLLBACK_STARTED).withPid());
        observer.checkpoint("rollback-started");
        MigrationPlan plan = state.plan();
        Map<String, String> kept = new LinkedHashMap<>();
        List<DomainPlan> undo = new ArrayList<>();
        for (DomainPlan d : plan.migrating()) {
            Optional<String> why = mustKeep(d);
            if (why.isPresent()) {
                kept.put(d.name(), why.get());
            } else {
                undo.add(d);
            }
        }
        if (!plan.legacy()) {
            restoreXml(plan, undo, kept.isEmpty());
        }
        List<String> removedVolumes = new ArrayList<>();
        Set<String> referenced = plan.legacy() ? Set.of() : referencedVolumes();
        for (DomainPlan d : undo) {
            for (VolumePlan v : d.volumes()) {
                if (v.action() == Action.LEAVE || !createdByRun(d, v)) {
                    continue;
                }
                String name = target.pool().name() + ":" + v.targetVid();
                if (referenced.contains(name)) {
                    report.line("  kept " + name + ": qubes.xml still refers to it");
                    continue;
                }
                Volume tv = target.pool().initVolume(Migrator.originSpec(d, v.name(), v.targetVid(), v.size()));
                boolean existed = exists(tv);
                Migrator.discard(tv);
                if (existed) {
                    removedVolumes.add(name);
                }
                observer.checkpoint("rollback-removed " + d.name() + ":" + v.name());
            }
        }
        journal.append(Journal.Entry.of(JournalStep.ROLLED_BACK));
        return new Result(undo.stream().map(DomainPlan::name).toList(), kept, removedVolumes);
    }

    /**
     * Whether the run made {@code v}'s target: a copy whose import it journaled, or a volume it
     * re-pointed in a save it journaled (the driver creates those at the domain's next start).
     */
    private boolean createdByRun(DomainPlan d, VolumePlan v) {
        if (v.action() == Action.COPY) {
            return state.started().contains(d.name() + "/" + v.name());
        }
        return state.saved().contains(d.name()) || state.saving().containsKey(d.name());
    }

    /** Every pool:vid the qubes.xml now on disk refers to, after its entries were restored. */
    private Set<String> referencedVolumes() {
        Set<String> refs = new HashSet<>();
        for (DomainEntry e : QubesXmlFile.load(inst.file().path()).document().model().domains()) {
            for (Map<String, String> a : e.volumes().values()) {
                if (a.get("vid") != null) {
                    refs.add(a.getOrDefault("pool", "") + ":" + a.get("vid"));
                }
            }
        }
        return refs;
    }

    private static boolean exists(Volume v) {
        try {
            v.verify();
            return true;
        } catch (StorageException e) {
            return false;
        }
    }

    private Optional<String> mustKeep(DomainPlan d) {
        for (VolumePlan v : d.volumes()) {
            if (state.sourcesRemoved().contains(d.name() + "/" + v.name())) {
                return Optional.of("its source images were removed after the copy was verified; its data lives only in the new volumes");
            }
        }
        if (!state.saved().contains(d.name()) && !state.saving().containsKey(d.name())) {
            return Optional.empty(); // never switched: nobody used the new volumes
        }
        List<java.nio.file.Path> devices = new ArrayList<>();
        for (VolumePlan v : d.copies()) {
            VolumeResult copied = state.committed().get(d.name() + "/" + v.name());
            Volume tv = target.pool().initVolume(Migrator.originSpec(d, v.name(), v.targetVid(), v.size()));
            if (copied == null || !exists(tv)) {
                continue;
            }
            if (!copied.digest().startsWith(SparseCopier.DIGEST_SCHEME)) {
                return Optional.of("its volume " + v.name() + " was recorded with another digest (" + copied.digest()
                        + ") by another build of the tool, so whether it changed since the copy cannot be told");
            }
            Path p = tv.export();
            try {
                devices.add(p);
                String now = COPIER.digestOf(p);
                if (!now.equals(copied.digest())) {
                    return Optional.of("its volume " + v.name() + " changed since it was copied (the domain was used after the move)");
                }
            } finally {
                tv.exportEnd(p);
            }
        }
        for (RunningCheck c : checks) {
            Optional<String> why = c.check(d.name(), devices);
            if (why.isPresent()) {
                return Optional.of("it is in use: " + why.get());
            }
        }
        return Optional.empty();
    }

    private void restoreXml(MigrationPlan plan, List<DomainPlan> undo, boolean everything) {
        Path path = inst.file().path();
        String current = Hashing.sha256(path);
        if (current.equals(plan.originalSha256())) {
            return;
        }
        Path backup = state.backup();
        QubesXmlFile file = QubesXmlFile.load(path);
        if (everything && backup != null && Files.exists(backup) && state.lastWrittenSha().map(current::equals).orElse(false)
                && Hashing.sha256(backup).equals(plan.originalSha256())) {
            try {
                String original = Files.readString(backup, StandardCharsets.UTF_8);
                file.save(QubesXmlDocument.parse(original, backup.toString()), Optional.empty(),
                        () -> observer.checkpoint("mid-save rollback"));
                report.line("qubes.xml: the original written back from " + backup);
                return;
            } catch (IOException e) {
                throw ToolException.input("Cannot read the backup " + backup + ": " + IoReasons.of(e));
            }
        }
        QubesXmlDocument doc = file.document();
        for (DomainPlan d : undo) {
            for (VolumePlan v : d.volumes()) {
                String owner = v.domainOr(d.name());
                if (v.action() == Action.LEAVE || doc.model().domain(owner).map(e -> !e.volumes().containsKey(v.name())).orElse(true)) {
                    continue;
                }
                for (Map.Entry<String, String> a : v.original().entrySet()) {
                    doc = a.getValue() == null ? doc.withoutVolumeAttribute(owner, v.name(), a.getKey())
                            : doc.withVolumeAttribute(owner, v.name(), a.getKey(), a.getValue());
                }
            }
        }
        if (everything && plan.addedPool() != null) {
            doc = doc.withoutPool(plan.targetPool());
        }
        if (!doc.text().equals(file.document().text())) {
            file.save(doc, Optional.empty(), () -> observer.checkpoint("mid-save rollback"));
            report.line("qubes.xml: changed since the run, so only the attributes it changed were restored");
        }
    }
}
