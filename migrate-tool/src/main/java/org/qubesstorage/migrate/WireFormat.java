package org.qubesstorage.migrate;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.qubesstorage.migrate.MigrationPlan.Action;
import org.qubesstorage.migrate.MigrationPlan.DomainPlan;
import org.qubesstorage.migrate.MigrationPlan.SpaceCheck;
import org.qubesstorage.migrate.MigrationPlan.Status;
import org.qubesstorage.migrate.MigrationPlan.VolumePlan;
import org.qubesstorage.migrate.json.JournalLine;
import org.qubesstorage.migrate.json.OutputDocuments;
import org.qubesstorage.migrate.json.PlanJson;
import org.qubesstorage.migrate.json.VolumeResultJson;
import org.qubesstorage.spi.VolumeType;
import org.qubesstorage.xml.QubesXml;

/**
 * Maps the migration's domain records to their wire form ({@code migrate.json}) and back. Reading
 * checks what the types cannot: a journal names its enumerated values as text, and one this build
 * does not know (a later build's journal, a hand edit) is refused with the line it is on rather
 * than replayed as something else.
 */
final class WireFormat {
    private WireFormat() {}

    // ---- journal lines ---------------------------------------------------------------------------

    static JournalLine line(Journal.Entry e) {
        return new JournalLine(e.type().wireName(), e.time(), e.domain(), e.volume(), e.detail(), e.sha256(), e.pid(),
                e.plan() == null ? null : plan(e.plan()), e.backup(), e.removeSource(), e.fsAware(),
                e.result() == null ? null : result(e.result()));
    }

    /** The entry {@code line} (line {@code number} of the journal at {@code path}) records. */
    static Journal.Entry entry(JournalLine line, Path path, int number) {
        String where = "Journal " + path + " line " + number;
        if (line.type() == null) {
            throw ToolException.input(where + " has no type");
        }
        JournalStep step = JournalStep.ofWireName(line.type()).orElseThrow(() -> ToolException.input(where + " records a step this build"
                + " does not know (" + line.type() + "): a later build wrote it; continue with that build"));
        return new Journal.Entry(step, line.time(), line.domain(), line.volume(), line.detail(), line.sha256(), line.pid(),
                line.plan() == null ? null : plan(line.plan(), where), line.backup(), line.removeSource(), line.fsAware(),
                line.result() == null ? null : result(line.result()));
    }

    // ---- the plan --------------------------------------------------------------------------------

    static PlanJson plan(MigrationPlan p) {
        return new PlanJson(p.format().name(), p.qubesXml(), p.originalSha256(), p.targetPool(), p.addedPool(),
                p.domains().stream().map(WireFormat::domain).toList(), space(p.space()));
    }

    private static PlanJson.Domain domain(DomainPlan d) {
        return new PlanJson.Domain(d.name(), d.klass(), d.template(), d.status().name(), d.reason(),
                d.volumes().stream().map(WireFormat::volume).toList(), d.notes());
    }

    private static PlanJson.Volume volume(VolumePlan v) {
        return new PlanJson.Volume(v.name(), v.action().name(), v.reason(), v.type() == null ? null : v.type().name(), v.sourcePool(),
                v.sourceVid(), v.sourcePath(), v.apparentBytes(), v.allocatedBytes(), v.targetVid(), v.size(), v.rw(),
                v.attributes(), v.original(), v.owner());
    }

    private static PlanJson.Space space(SpaceCheck s) {
        return new PlanJson.Space(s.dataBytes(), s.virtualBytes(), s.poolSize(), s.poolUsage(), s.refusal(), s.note());
    }

    /** The plan {@code p} describes; {@code where} names its place in error messages. */
    static MigrationPlan plan(PlanJson p, String where) {
        if (p.qubesXml() == null || p.originalSha256() == null || p.targetPool() == null || p.space() == null) {
            throw ToolException.input(where + ": the plan lacks qubesXml, originalSha256, targetPool or space");
        }
        List<DomainPlan> domains = p.domains() == null ? List.of() : p.domains().stream().map(d -> domain(d, where)).toList();
        PlanJson.Space s = p.space();
        return new MigrationPlan(constant(QubesXml.Format::valueOf, p.format(), "format", where), p.qubesXml(), p.originalSha256(),
                p.targetPool(), p.addedPool(), domains,
                new SpaceCheck(s.dataBytes(), s.virtualBytes(), s.poolSize(), s.poolUsage(), s.refusal(), s.note()));
    }

    private static DomainPlan domain(PlanJson.Domain d, String where) {
        if (d.name() == null || d.klass() == null) {
            throw ToolException.input(where + ": a domain of the plan lacks its name or class");
        }
        List<VolumePlan> volumes = d.volumes() == null ? List.of() : d.volumes().stream().map(v -> volume(v, where)).toList();
        return new DomainPlan(d.name(), d.klass(), d.template(), constant(Status::valueOf, d.status(), "status", where), d.reason(),
                volumes, d.notes() == null ? List.of() : d.notes());
    }

    private static VolumePlan volume(PlanJson.Volume v, String where) {
        if (v.name() == null) {
            throw ToolException.input(where + ": a volume of the plan has no name");
        }
        VolumeType type = v.type() == null ? null : constant(VolumeType::valueOf, v.type(), "volume type", where);
        return new VolumePlan(v.name(), constant(Action::valueOf, v.action(), "action", where), v.reason(), type, v.sourcePool(),
                v.sourceVid(), v.sourcePath(), v.apparentBytes(), v.allocatedBytes(), v.targetVid(), v.size(), v.rw(),
                v.attributes(), v.original(), v.owner());
    }

    private static <E extends Enum<E>> E constant(Function<String, E> valueOf, String text, String what, String where) {
        if (text == null) {
            throw ToolException.input(where + ": the plan has no " + what);
        }
        try {
            return valueOf.apply(text);
        } catch (IllegalArgumentException e) {
            throw ToolException.input(where + ": unknown " + what + " " + text + " in the plan");
        }
    }

    // ---- results ---------------------------------------------------------------------------------

    static VolumeResultJson result(VolumeResult r) {
        return new VolumeResultJson(r.domain(), r.volume(), r.apparentBytes(), r.bytesRead(), r.bytesWritten(), r.millis(),
                r.verifyMillis(), r.digest(), r.mode(), r.fallback());
    }

    static VolumeResult result(VolumeResultJson r) {
        return new VolumeResult(r.domain(), r.volume(), r.apparentBytes(), r.bytesRead(), r.bytesWritten(), r.millis(),
                r.verifyMillis(), r.digest(), r.mode(), r.fallback());
    }

    static OutputDocuments.Result result(Migrator.Result r) {
        return new OutputDocuments.Result(r.volumes().stream().map(WireFormat::result).toList(),
                r.domains().stream().map(d -> new OutputDocuments.DomainOutcome(d.domain(), d.outcome().wireName(), d.reason(), d.millis()))
                        .toList(),
                r.removedSources(), r.keptSources(), r.legacyEntries());
    }

    static OutputDocuments.RolledBack rolledBack(Rollback.Result r, int exitCode) {
        return new OutputDocuments.RolledBack(r.restored(), r.kept(), r.removedVolumes(), exitCode);
    }
}
