package org.qubesstorage.migrate;

import org.qubesstorage.spi.VolumeType;
import org.qubesstorage.xml.QubesXml;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * What a migration will do, decided before anything is written and recorded in the journal so a
 * resumed run does exactly the same. Its wire form (the journal's, {@code --json}'s) is
 * {@link org.qubesstorage.migrate.json.PlanJson}.
 *
 * @param format        {@code R4} or {@code LEGACY_R2_R3}
 * @param qubesXml      the file the plan was made from
 * @param originalSha256 the file's SHA-256 when planned
 * @param targetPool    the name of the pool the volumes move to
 * @param addedPool     the {@code <pool>} attributes to add to qubes.xml first ({@code --vg}), or null
 * @param domains       per selected domain, in the order they are migrated (templates first)
 * @param space         the space check against the target pool
 */
public record MigrationPlan(QubesXml.Format format, String qubesXml, String originalSha256, String targetPool,
        Map<String, String> addedPool, List<DomainPlan> domains, SpaceCheck space) {
    public MigrationPlan {
        requireNonNull(format, "format");
        requireNonNull(qubesXml, "qubesXml");
        requireNonNull(originalSha256, "originalSha256");
        requireNonNull(targetPool, "targetPool");
        domains = List.copyOf(domains);
        requireNonNull(space, "space");
    }

    public boolean legacy() {
        return format == QubesXml.Format.LEGACY_R2_R3;
    }

    /** The domains that will be migrated. */
    public List<DomainPlan> migrating() {
        return domains.stream().filter(d -> d.status() == Status.MIGRATE).toList();
    }

    /** What happens to a domain. */
    public enum Status {
        /** Its volumes are copied or re-pointed and its qubes.xml entries switched. */
        MIGRATE,
        /** Nothing of it needs to move (everything already in the target, or nothing movable). */
        NOTHING_TO_DO,
        /** Refused, with a reason (running, dirty, a target name taken). */
        SKIPPED,
        /**
         * Data that qubes.xml records is missing (an image or volume that does not exist): the plan
         * is shown whole, with each such volume flagged, and the run is refused (exit 3) before it
         * writes anything, since the installation is not what qubes.xml says (a wrong
         * {@code --qubes-dir}, an unmounted disk).
         */
        DATA_MISSING
    }

    /** What happens to a volume. */
    public enum Action {
        /** Its data is copied into a new volume in the target pool and verified. */
        COPY,
        /** Nothing to copy (volatile, or a snapshot of a volume that moves too): only its entry changes. */
        REPOINT,
        /** Stays where it is. */
        LEAVE
    }

    /**
     * One domain's part of the plan.
     *
     * @param notes explanations a user needs (a snapshot that stays with its template's pool, ...)
     */
    public record DomainPlan(String name, String klass, String template, Status status, String reason,
            List<VolumePlan> volumes, List<String> notes) {
        public DomainPlan {
            requireNonNull(name, "name");
            requireNonNull(klass, "klass");
            requireNonNull(status, "status");
            volumes = List.copyOf(volumes);
            notes = List.copyOf(notes);
        }

        /** Whether the domain is a TemplateVM. */
        public boolean isTemplateVm() {
            return klass.equals("TemplateVM");
        }

        public List<VolumePlan> copies() {
            return volumes.stream().filter(v -> v.action() == Action.COPY).toList();
        }

        /** Its own volumes, without the followers of other domains. */
        public List<VolumePlan> own() {
            return volumes.stream().filter(v -> v.owner() == null).toList();
        }

        public DomainPlan skipped(String why) {
            return new DomainPlan(name, klass, template, Status.SKIPPED, why, volumes, notes);
        }
    }

    /**
     * One volume's part of the plan.
     *
     * @param sourcePool     the pool it is in now (null for a legacy file)
     * @param sourceVid      its vid now (null for a legacy file)
     * @param sourcePath     the image or device its data is read from (null when nothing is copied)
     * @param apparentBytes  the source's size
     * @param allocatedBytes the source's allocated data (what a copy reads at most)
     * @param targetVid      its vid in the target pool, as the target driver names it
     * @param size           the size of the new volume
     * @param attributes     the {@code <volume>} attributes the switch writes (for a legacy file: the
     *                       whole R4 entry)
     * @param original       those attributes' values before (null: absent), for rollback
     * @param owner          the domain this volume belongs to when it is not the planned domain's
     *                       own: a snapshot of the planned domain's volume in a domain based on it,
     *                       re-pointed in the same save because a snapshot lives in its source's pool
     */
    public record VolumePlan(String name, Action action, String reason, VolumeType type, String sourcePool,
            String sourceVid, String sourcePath, long apparentBytes, long allocatedBytes, String targetVid,
            long size, boolean rw, Map<String, String> attributes, Map<String, String> original, String owner) {
        public VolumePlan {
            requireNonNull(name, "name");
            requireNonNull(action, "action");
            attributes = attributes == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(attributes));
            original = original == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(original));
        }

        /** The domain whose {@code <volume>} this is. */
        public String domainOr(String planned) {
            return owner == null ? planned : owner;
        }
    }

    /**
     * @param dataBytes    data the copies write at most (the sources' allocated bytes)
     * @param virtualBytes the new volumes' sizes
     * @param refusal      why the target pool would refuse, or null if it fits
     * @param note         why the check could not be made (a dry run away from the target), or null
     */
    public record SpaceCheck(long dataBytes, long virtualBytes, Long poolSize, Long poolUsage, String refusal, String note) {}
}
