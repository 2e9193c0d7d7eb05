package org.qubesstorage.migrate;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import org.qubesstorage.copy.CopyControl;
import org.qubesstorage.copy.CopyMode;
import org.qubesstorage.copy.CopyRequest;
import org.qubesstorage.copy.CopyResult;
import org.qubesstorage.copy.SparseCopier;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.migrate.MigrationPlan.Action;
import org.qubesstorage.migrate.MigrationPlan.DomainPlan;
import org.qubesstorage.migrate.MigrationPlan.VolumePlan;
import org.qubesstorage.spi.VolumeType;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.xml.DomainEntry;
import org.qubesstorage.xml.QubesXmlDocument;
import org.qubesstorage.xml.QubesXmlFile;

/**
 * Carries out a plan, or resumes one from its journal. Per domain: each data volume is imported
 * into the target pool through the driver's import path (the sparse copy engine writes and
 * verifies it by content digest; only then is the import committed), and when all of them are
 * committed the domain's qubes.xml entries are switched in one locked, atomic save. A source image
 * is never written; with {@code removeSource} it is removed only after its domain switched, and
 * only if nothing left behind still uses it.
 *
 * <p>Every step is journaled so that a kill at any point leaves a state {@code --resume} completes
 * and {@code --rollback} undoes: an import begun but not committed is discarded and redone; a
 * save that may or may not have happened is recognised by the SHA-256 of the file it writes.
 */
final class Migrator {
    private static final SparseCopier COPIER = new SparseCopier();

    private final Installation inst;
    private final Target target;
    private final Journal journal;
    private final JournalState previous;
    private final boolean removeSource;
    private final boolean fsAware;
    private final Progress progress;
    private final RunReport report;

    /**
     * What happened to each domain, for the summary and the exit code.
     *
     * @param millis wall time of the domain's migration in this run: creating, copying, verifying
     *               and committing its volumes, and its qubes.xml save; {@code null} for a domain
     *               this run did not migrate. What a run spends once (the JVM's start, reading
     *               qubes.xml, the plan) is in no domain's time: in a run of many domains it is
     *               shared by all of them.
     */
    record DomainOutcome(String domain, Outcome outcome, String reason, Long millis) {
        DomainOutcome(String domain, Outcome outcome, String reason) {
            this(domain, outcome, reason, null);
        }
    }

    record Result(List<VolumeResult> volumes, List<DomainOutcome> domains, List<String> removedSources,
            List<String> keptSources, Map<String, Map<String, Map<String, String>>> legacyEntries) {}

    Migrator(Installation inst, Target target, Journal journal, JournalState previous, boolean removeSource, boolean fsAware,
            Progress progress, RunReport report, RunObserver observer) {
        this.observer = requireNonNull(observer, "observer");
        this.inst = requireNonNull(inst, "inst");
        this.target = requireNonNull(target, "target");
        this.journal = requireNonNull(journal, "journal");
        this.previous = previous;
        this.removeSource = removeSource;
        this.fsAware = fsAware;
        this.progress = requireNonNull(progress, "progress");
        this.report = requireNonNull(report, "report");
    }

    private final RunObserver observer;

    Result run(MigrationPlan plan) {
        List<VolumeResult> results = new ArrayList<>();
        List<DomainOutcome> outcomes = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        Map<String, Map<String, Map<String, String>>> legacyEntries = new java.util.LinkedHashMap<>();
        if (!plan.legacy() && plan.addedPool() != null) {
            addPool(plan);
        }
        long total = 0;
        int count = 0;
        for (DomainPlan d : plan.migrating()) {
            for (VolumePlan v : d.copies()) {
                if (!isDone(d, v)) {
                    total += v.allocatedBytes();
                    count++;
                }
            }
        }
        progress.begin(total, count);
        try {
            for (DomainPlan d : plan.domains()) {
                if (d.status() != MigrationPlan.Status.MIGRATE) {
                    outcomes.add(new DomainOutcome(d.name(), d.status() == MigrationPlan.Status.SKIPPED ? Outcome.SKIPPED : Outcome.UNCHANGED,
                            d.reason()));
                    continue;
                }
                if (previous != null && previous.failed().containsKey(d.name())) {
                    // a failure is not retried silently: the user sees it and runs the tool again for it
                    outcomes.add(new DomainOutcome(d.name(), Outcome.FAILED, previous.failed().get(d.name())));
                    continue;
                }
                long started = System.nanoTime();
                try {
                    results.addAll(migrateDomain(plan, d));
                    long millis = (System.nanoTime() - started) / 1_000_000;
                    if (plan.legacy()) {
                        legacyEntries.put(d.name(), legacyEntries(d));
                    } else if (removeSource) {
                        removeSources(d, removed, kept);
                    }
                    outcomes.add(new DomainOutcome(d.name(), Outcome.MIGRATED, null, millis));
                } catch (DomainFailure f) {
                    journal.append(Journal.Entry.of(JournalStep.DOMAIN_FAILED).domain(d.name()).detail(f.getMessage()));
                    outcomes.add(new DomainOutcome(d.name(), Outcome.FAILED, f.getMessage()));
                    report.line("qvm-to-lvm: " + f.getMessage() + "; " + d.name() + " keeps its old volumes");
                }
            }
        } finally {
            progress.close();
        }
        journal.append(Journal.Entry.of(JournalStep.DONE));
        observer.checkpoint("done");
        return new Result(results, outcomes, removed, kept, legacyEntries);
    }

    private boolean isDone(DomainPlan d, VolumePlan v) {
        return previous != null && (previous.saved().contains(d.name()) || previous.committed().containsKey(d.name() + "/" + v.name()));
    }

    /** A domain that could not be migrated; its partial imports were removed. */
    private static final class DomainFailure extends RuntimeException {
        DomainFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    // ---- the pool element ------------------------------------------------------------------------

    private void addPool(MigrationPlan plan) {
        QubesXmlFile file = QubesXmlFile.load(inst.file().path());
        if (file.document().model().pool(plan.targetPool()).isPresent()) {
            return; // added by the run this one resumes
        }
        QubesXmlDocument edited = file.document().withPool(plan.addedPool());
        save(file, edited, JournalState.POOL);
        observer.phase("pool added to qubes.xml");
    }

    /** Saves {@code edited} over {@code file}, journaling the intent with the SHA-256 it will have. */
    private void save(QubesXmlFile file, QubesXmlDocument edited, String what) {
        String sha = Hashing.sha256(edited.text().getBytes(StandardCharsets.UTF_8));
        journal.append(Journal.Entry.of(JournalStep.XML_SAVING).domain(what).sha256(sha));
        observer.checkpoint("xml-saving " + what);
        file.save(edited, Optional.empty(), () -> observer.checkpoint("mid-save " + what));
        journal.append(Journal.Entry.of(JournalStep.XML_SAVED).domain(what).sha256(sha));
        observer.checkpoint("xml-saved " + what);
    }

    // ---- one domain ------------------------------------------------------------------------------

    private List<VolumeResult> migrateDomain(MigrationPlan plan, DomainPlan d) {
        if (previous != null && alreadySwitched(d)) {
            return List.of();
        }
        List<VolumeResult> results = new ArrayList<>();
        List<VolumePlan> created = new ArrayList<>();
        try {
            for (VolumePlan v : d.copies()) {
                String dv = d.name() + "/" + v.name();
                if (previous != null && previous.committed().containsKey(dv) && exists(d, v)) {
                    created.add(v);
                    results.add(previous.committed().get(dv));
                    continue;
                }
                if (previous != null && previous.started().contains(dv)) {
                    discard(d, v); // begun by the killed run, never committed: start it again
                }
                created.add(v);
                results.add(copy(plan, d, v));
            }
        } catch (RuntimeException e) {
            String why = e instanceof StorageException || e instanceof ToolException ? e.getMessage() : e.toString();
            for (VolumePlan v : created) {
                try {
                    discard(d, v);
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw new DomainFailure("Domain " + d.name() + ": " + why, e);
        }
        if (!plan.legacy()) {
            switchEntries(d);
        } else {
            journal.append(Journal.Entry.of(JournalStep.XML_SAVED).domain(d.name()).detail("legacy file: R4 entries printed, nothing written"));
        }
        return results;
    }

    /** Whether a resumed domain's save already happened (journaled, or the file has the SHA it was writing). */
    private boolean alreadySwitched(DomainPlan d) {
        if (previous.saved().contains(d.name())) {
            return true;
        }
        String expected = previous.saving().get(d.name());
        if (expected != null && expected.equals(Hashing.sha256(inst.file().path()))) {
            journal.append(Journal.Entry.of(JournalStep.XML_SAVED).domain(d.name()).sha256(expected));
            return true;
        }
        return false;
    }

    private VolumeResult copy(MigrationPlan plan, DomainPlan d, VolumePlan v) {
        String label = d.name() + ":" + v.name();
        journal.append(Journal.Entry.of(JournalStep.IMPORT_STARTED).domain(d.name()).volume(v.name()));
        observer.checkpoint("import-started " + label);
        observer.phase("import-started journaled " + label);
        Volume tv = targetVolume(d, v);
        progress.volume(label, v.allocatedBytes());
        CopyResult r;
        tv.lock().lock();
        try {
            Path dst = tv.importData(v.size());
            observer.phase("import into " + dst + " begun");
            boolean committed = false;
            try {
                r = withSource(plan, d, v, src -> {
                    AtomicBoolean halfway = new AtomicBoolean();
                    CopyRequest req = new CopyRequest(src, dst, true, true, fsAware ? CopyMode.FILESYSTEM_AWARE : CopyMode.ALL_DATA,
                            (done, total) -> {
                                progress.advance(done, total);
                                if (done * 2 >= total && total > 0 && halfway.compareAndSet(false, true)) {
                                    observer.checkpoint("mid-copy " + label);
                                }
                            }, new CopyControl());
                    return COPIER.copy(req);
                });
                if (!r.verified()) {
                    throw StorageException.backend("verification failed for " + label + ": source " + r.sourceDigest().orElse("?")
                            + ", copy " + r.targetDigest().orElse("?"), null);
                }
                observer.checkpoint("verified " + label);
                observer.phase("copied and verified " + label);
                tv.importDataEnd(true);
                committed = true;
            } finally {
                if (!committed) {
                    try {
                        tv.importDataEnd(false);
                    } catch (StorageException cleanup) {
                        // reported with the original failure's domain; discard() retries
                    }
                    progress.volumeDone("failed");
                }
            }
        } finally {
            tv.lock().unlock();
        }
        VolumeResult result = new VolumeResult(d.name(), v.name(), r.logicalSize(), r.bytesExamined(), r.bytesWritten(),
                r.elapsed().toMillis(), r.verifyElapsed().toMillis(), r.sourceDigest().orElseThrow(), r.modeUsed().name(),
                r.fallbackReason().orElse(null));
        progress.volumeDone("verified " + result.digest().substring(0, Math.min(19, result.digest().length())));
        journal.append(Journal.Entry.of(JournalStep.COMMITTED).domain(d.name()).volume(v.name()).result(result));
        observer.checkpoint("committed " + label);
        observer.phase("committed " + label);
        return result;
    }

    private interface Reader<T> {
        T read(Path source);
    }

    /** Runs {@code reader} on the source's data: the exported volume (R4) or the image (legacy). */
    private <T> T withSource(MigrationPlan plan, DomainPlan d, VolumePlan v, Reader<T> reader) {
        if (plan.legacy()) {
            DomainEntry entry = inst.model().domain(d.name()).orElseThrow(() -> StorageException.notFound(
                    "Domain " + d.name() + " is no longer in " + inst.file().path()));
            Path image = inst.legacyImage(entry, v.name());
            if (!image.toString().equals(v.sourcePath())) {
                throw StorageException.invalidConfiguration("Domain " + d.name() + "'s " + v.name() + " image is now "
                        + image + ", not the planned " + v.sourcePath());
            }
            return reader.read(image);
        }
        Volume sv = inst.host().domain(d.name()).volume(v.name());
        if (!sv.vid().equals(v.sourceVid()) || !sv.pool().name().equals(v.sourcePool())) {
            throw StorageException.invalidConfiguration("qubes.xml now records " + sv.pool().name() + ":" + sv.vid()
                    + " instead of " + v.sourcePool() + ":" + v.sourceVid());
        }
        Path p = sv.export();
        try {
            return reader.read(p);
        } finally {
            sv.exportEnd(p);
        }
    }

    /** The target volume {@code v} becomes, as an origin (the shape that owns data on disk). */
    private Volume targetVolume(DomainPlan d, VolumePlan v) {
        return target.pool().initVolume(originSpec(d, v.name(), v.targetVid(), v.size()));
    }

    static VolumeSpec originSpec(DomainPlan d, String volume, String vid, long size) {
        return new VolumeSpec(new DomainRef(d.name(), d.isTemplateVm()), volume, Optional.of(vid), true, true, false,
                OptionalInt.empty(), Math.max(size, 1), Optional.empty(), Optional.empty());
    }

    private boolean exists(DomainPlan d, VolumePlan v) {
        try {
            targetVolume(d, v).verify();
            return true;
        } catch (StorageException e) {
            return false;
        }
    }

    /** Removes whatever of {@code v}'s target exists (an import in progress, a committed volume). */
    void discard(DomainPlan d, VolumePlan v) {
        discard(targetVolume(d, v));
    }

    /** Removes an import in progress on {@code tv} and {@code tv} itself, with its lock held. */
    static void discard(Volume tv) {
        Locked.run(tv, () -> {
            try {
                tv.importDataEnd(false);
            } catch (StorageException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
            }
            tv.remove();
        });
    }

    // ---- the switch ------------------------------------------------------------------------------

    private void switchEntries(DomainPlan d) {
        QubesXmlFile file = QubesXmlFile.load(inst.file().path());
        QubesXmlDocument doc = file.document();
        for (VolumePlan v : d.volumes()) {
            if (v.action() != Action.LEAVE) {
                doc = doc.withVolumeAttributes(v.domainOr(d.name()), v.name(), v.attributes());
            }
        }
        save(file, doc, d.name());
        observer.phase("switched " + d.name());
    }

    private Map<String, Map<String, String>> legacyEntries(DomainPlan d) {
        Map<String, Map<String, String>> m = new java.util.LinkedHashMap<>();
        for (VolumePlan v : d.volumes()) {
            if (v.action() != Action.LEAVE) {
                m.put(v.name(), v.attributes());
            }
        }
        return m;
    }

    // ---- removing sources ------------------------------------------------------------------------

    private void removeSources(DomainPlan d, List<String> removed, List<String> kept) {
        var model = QubesXmlFile.load(inst.file().path()).document().model();
        for (VolumePlan v : d.volumes()) {
            if (v.action() == Action.LEAVE || v.sourcePool() == null || v.type() == VolumeType.SNAPSHOT || v.owner() != null) {
                continue; // a snapshot's data is its source's
            }
            String dv = d.name() + "/" + v.name();
            if (previous != null && previous.sourcesRemoved().contains(dv)) {
                removed.add(v.sourcePool() + ":" + v.sourceVid());
                continue;
            }
            Optional<String> user = stillUsedBy(model, d, v);
            if (user.isPresent()) {
                kept.add(v.sourcePool() + ":" + v.sourceVid() + " (still used by " + user.get() + ")");
                journal.append(Journal.Entry.of(JournalStep.SOURCE_KEPT).domain(d.name()).volume(v.name()).detail(user.get()));
                continue;
            }
            Pool pool = inst.pools().get(v.sourcePool());
            Volume sv = pool.initVolume(originSpec(d, v.name(), v.sourceVid(), v.size()));
            Locked.run(sv, sv::remove);
            journal.append(Journal.Entry.of(JournalStep.SOURCE_REMOVED).domain(d.name()).volume(v.name()));
            observer.checkpoint("source-removed " + dv);
            removed.add(v.sourcePool() + ":" + v.sourceVid());
        }
    }

    /** A domain with a snapshot volume that still starts from {@code v}'s source. */
    private static Optional<String> stillUsedBy(org.qubesstorage.xml.QubesXml model, DomainPlan d, VolumePlan v) {
        for (DomainEntry o : model.domains()) {
            for (Map.Entry<String, Map<String, String>> e : o.volumes().entrySet()) {
                if (Snapshots.startsFrom(model, o, e.getKey(), e.getValue(), d.name(), v.name(), v.sourcePool(), v.sourceVid())) {
                    return Optional.of(o.name());
                }
            }
        }
        return Optional.empty();
    }

    /** Deletes temporary qubes.xml files that killed runs (by pid) left beside it. */
    static void removeStaleTemporaries(Path qubesXml, List<Long> pids) {
        Path dir = qubesXml.toAbsolutePath().getParent();
        for (long pid : pids) {
            if (pid == ProcessHandle.current().pid()) {
                continue;
            }
            try {
                Files.deleteIfExists(dir.resolve("." + qubesXml.getFileName() + ".tmp-" + pid));
            } catch (IOException e) {
                // harmless leftover; the next save of that pid would replace it
            }
        }
    }
}
