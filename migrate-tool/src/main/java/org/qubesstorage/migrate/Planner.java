package org.qubesstorage.migrate;

import static java.util.Objects.requireNonNull;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.qubesstorage.facade.DomainStorage;
import org.qubesstorage.migrate.MigrationPlan.Action;
import org.qubesstorage.migrate.MigrationPlan.DomainPlan;
import org.qubesstorage.migrate.MigrationPlan.SpaceCheck;
import org.qubesstorage.migrate.MigrationPlan.Status;
import org.qubesstorage.migrate.MigrationPlan.VolumePlan;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PythonInt;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeConfig;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.spi.VolumeType;
import org.qubesstorage.xml.DomainEntry;
import org.qubesstorage.xml.QubesXml;

/**
 * Decides, without writing anything, what a migration does with each selected domain and volume
 * (upstream's rules, {@code qubes/storage/__init__.py}): only {@code save_on_stop} volumes carry data and are
 * copied; volatile volumes are re-pointed (recreated at start); a snapshot volume lives in its
 * source's pool, so it moves only when its source moves in the same run; read-only volumes without
 * data of their own (kernels) stay. Templates are planned before the domains based on them.
 */
final class Planner {
    private final Installation inst;
    private final Target target;
    private final List<RunningCheck> checks;

    private static final Set<String> KNOWN_CLASSES = Set.of("AdminVM", "TemplateVM", "AppVM", "DispVM", "StandaloneVM");

    /** Source (pool, vid) of every volume copied in this plan → its new vid. */
    private final Map<String, String> moved = new HashMap<>();
    /** Which domains may start from a copied volume, indexed on first use. */
    private final FollowerIndex followerIndex;
    /** Target vid → the "domain/volume" it is planned for, to refuse two volumes landing on one name. */
    private final Map<String, String> claimed = new HashMap<>();

    Planner(Installation inst, Target target, List<RunningCheck> checks) {
        this.inst = requireNonNull(inst, "inst");
        this.target = requireNonNull(target, "target");
        this.checks = List.copyOf(checks);
        this.followerIndex = new FollowerIndex(inst.model());
    }

    /** The domains {@code names} (or all with {@code all}) minus {@code excluded}, templates first. */
    static List<DomainEntry> select(QubesXml model, List<String> names, boolean all, Set<String> excluded) {
        for (String n : excluded) {
            if (model.domain(n).isEmpty()) {
                throw ToolException.input("--exclude " + n + ": no such domain in qubes.xml");
            }
        }
        List<DomainEntry> chosen = new ArrayList<>();
        if (all) {
            if (!names.isEmpty()) {
                throw ToolException.input("Give domain names or --all, not both");
            }
            model.domains().stream().filter(d -> !d.klass().equals("AdminVM")).forEach(chosen::add);
        } else {
            if (names.isEmpty()) {
                throw ToolException.input("Name the domains to migrate, or use --all");
            }
            for (String n : new LinkedHashSet<>(names)) {
                chosen.add(model.domain(n).orElseThrow(() -> ToolException.input("No domain named " + n + " in qubes.xml")));
            }
        }
        chosen.removeIf(d -> excluded.contains(d.name()));
        for (DomainEntry d : chosen) {
            if (!KNOWN_CLASSES.contains(d.klass())) {
                throw ToolException.input("Domain " + d.name() + " has class " + d.klass()
                        + ", whose volumes this tool does not know; leave it out with --exclude " + d.name());
            }
        }
        Map<String, Integer> depth = new HashMap<>();
        for (DomainEntry d : model.domains()) {
            depth.put(d.name(), depth(model, d, 0));
        }
        chosen.sort(Comparator.comparingInt(d -> depth.get(d.name())));
        return chosen;
    }

    private static int depth(QubesXml model, DomainEntry d, int guard) {
        if (guard > 32) {
            throw ToolException.input("Domain " + d.name() + ": the template chain loops");
        }
        Optional<DomainEntry> t = d.template().flatMap(model::domain);
        return t.map(td -> 1 + depth(model, td, guard + 1)).orElse(0);
    }

    MigrationPlan plan(List<DomainEntry> selected, String originalSha256) {
        List<DomainPlan> domains = new ArrayList<>();
        boolean legacy = inst.model().format() == QubesXml.Format.LEGACY_R2_R3;
        for (DomainEntry d : selected) {
            DomainPlan p = planSafely(d, legacy);
            if (p.status() == Status.MIGRATE) {
                for (VolumePlan v : p.volumes()) {
                    if (v.action() != Action.LEAVE) {
                        claimed.put(v.targetVid(), v.domainOr(d.name()) + "/" + v.name());
                    }
                    if (v.action() == Action.COPY) {
                        moved.put(key(v.sourcePool(), v.sourceVid(), d.name(), v.name()), v.targetVid());
                    }
                }
            }
            domains.add(p);
        }
        long data = 0;
        long virtual = 0;
        for (DomainPlan d : domains) {
            if (d.status() == Status.MIGRATE) {
                for (VolumePlan v : d.copies()) {
                    data += v.allocatedBytes();
                    virtual += v.size();
                }
            }
        }
        Pool pool = target.pool();
        SpaceCheck space;
        if (target.unreachable() != null) {
            space = new SpaceCheck(data, virtual, null, null, null, "not checked: the target cannot be reached from here ("
                    + target.unreachable() + ")");
        } else {
            String refusal = data == 0 ? null : pool.checkSpace(data, virtual).orElse(null);
            space = new SpaceCheck(data, virtual, boxed(pool.size()), boxed(pool.usage()), refusal, null);
        }
        return new MigrationPlan(inst.model().format(), inst.file().path().toAbsolutePath().normalize().toString(),
                originalSha256,
                pool.name(), target.added(), domains, space);
    }

    private static Long boxed(OptionalLong v) {
        return v.isPresent() ? v.getAsLong() : null;
    }

    private static String key(String pool, String vid, String domain, String volume) {
        return pool == null ? "legacy\0" + domain + "\0" + volume : pool + "\0" + vid;
    }

    // ---- R4 ------------------------------------------------------------------------------------

    private DomainPlan planR4(DomainEntry d) {
        if (d.klass().equals("AdminVM")) {
            return new DomainPlan(d.name(), d.klass(), null, Status.NOTHING_TO_DO, "dom0 has no volumes to move", List.of(), List.of());
        }
        DomainStorage ds;
        try {
            ds = inst.host().domain(d.name());
        } catch (StorageException e) {
            throw ToolException.of("Domain " + d.name() + ": ", e);
        }
        List<VolumePlan> volumes = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<Path> images = new ArrayList<>();
        String skip = null;
        List<String> missing = new ArrayList<>();
        for (String name : d.volumes().keySet()) {
            Volume v = ds.volume(name);
            Map<String, String> recorded = d.volumes().get(name);
            VolumeConfig c = v.config();
            String where = "Domain " + d.name() + ", volume " + name;
            if (v.pool().name().equals(target.pool().name())) {
                volumes.add(leave(v, "already in pool " + target.pool().name()));
                continue;
            }
            VolumeType type = c.type();
            switch (type) {
                case ORIGIN -> {
                    if (v.isDirty()) {
                        skip = where + " is dirty (the domain runs, or crashed before its volumes were stopped); start and stop it first";
                    }
                    Path path;
                    try {
                        path = v.export();
                        v.exportEnd(path);
                    } catch (StorageException e) {
                        if (e.code() == ErrorCode.NOT_FOUND) {
                            missing.add(name);
                            volumes.add(leave(v, "MISSING: " + e.getMessage()));
                            continue;
                        }
                        skip = where + ": " + e.getMessage();
                        volumes.add(leave(v, "cannot be read now: " + e.getMessage()));
                        continue;
                    }
                    images.add(path);
                    ImageStats stats = ImageStats.of(path, v.usage());
                    String vid = targetVid(d, name, stats.apparent());
                    volumes.add(new VolumePlan(name, Action.COPY, "holds data (save_on_stop)", type, v.pool().name(),
                            v.vid(), path.toString(), stats.apparent(), stats.allocated(), vid, stats.apparent(), c.rw(),
                            attrs(vid, null), originals(recorded, false), null));
                }
                case VOLATILE -> {
                    if (!c.rw()) {
                        volumes.add(leave(v, "read-only and without data of its own (a kernel): stays in pool " + v.pool().name()));
                        continue;
                    }
                    String vid = targetVid(d, name, c.size());
                    volumes.add(new VolumePlan(name, Action.REPOINT, "volatile: recreated empty at every start", type,
                            v.pool().name(), v.vid(), null, c.size(), 0, vid, c.size(), c.rw(), attrs(vid, null),
                            originals(recorded, false), null));
                }
                case SNAPSHOT -> {
                    Volume src = v.source().orElseThrow();
                    Optional<String> newSource = movedVid(src);
                    String owner = ownerOf(src).orElse(src.vid());
                    if (newSource.isEmpty()) {
                        volumes.add(leave(v, "snapshot of " + owner + "'s " + src.name() + ", which stays in pool "
                                + src.pool().name()));
                        notes.add(name + " stays in pool " + src.pool().name() + ": a snapshot volume lives in its source's pool, and "
                                + owner + " is not migrated in this run (migrate it too to move " + name + ")");
                        continue;
                    }
                    String vid = targetVid(d, name, c.size());
                    boolean recordsSource = recorded.containsKey("source");
                    volumes.add(new VolumePlan(name, Action.REPOINT, "snapshot of " + owner + "'s " + src.name()
                            + ", which moves too", type, v.pool().name(), v.vid(), null, c.size(), 0, vid, c.size(),
                            c.rw(), attrs(vid, recordsSource ? newSource.get() : null), originals(recorded, recordsSource), null));
                }
                case ORIGIN_SNAPSHOT -> volumes.add(leave(v, "origin-snapshot volumes (snap_on_start and save_on_stop) are not migrated"));
            }
        }
        if (!missing.isEmpty()) {
            return missing(d, volumes, notes, missing);
        }
        if (skip == null) {
            skip = runningReason(d.name(), images);
        }
        if (skip == null) {
            skip = addFollowers(d, volumes, notes);
        }
        return finish(d, volumes, notes, skip);
    }

    private static DomainPlan missing(DomainEntry d, List<VolumePlan> volumes, List<String> notes, List<String> names) {
        return new DomainPlan(d.name(), d.klass(), d.template().orElse(null), Status.DATA_MISSING,
                "the data of " + String.join(", ", names) + " is missing; nothing will be migrated until it is there",
                volumes, notes);
    }

    /**
     * Adds to {@code volumes} every snapshot volume of another domain that starts from one of the
     * volumes copied here (by recorded source, or by following the template chain): a snapshot lives
     * in its source's pool, so it must move in the same save, or that domain would no longer load.
     * Returns why the domain must be skipped instead (such a domain is in use), or null.
     */
    private String addFollowers(DomainEntry d, List<VolumePlan> volumes, List<String> notes) {
        List<VolumePlan> copies = volumes.stream().filter(v -> v.action() == Action.COPY).toList();
        List<String> followers = new ArrayList<>();
        List<String> sources = copies.stream().map(c -> c.sourcePool() + "\0" + c.sourceVid()).toList();
        for (DomainEntry o : followerIndex.candidates(d, sources)) {
            for (Map.Entry<String, Map<String, String>> e : o.volumes().entrySet()) {
                Map<String, String> a = e.getValue();
                for (VolumePlan c : copies) {
                    boolean recorded = a.containsKey("source");
                    if (!Snapshots.startsFrom(inst.model(), o, e.getKey(), a, d.name(), c.name(), c.sourcePool(), c.sourceVid())) {
                        continue;
                    }
                    String why = runningReason(o.name(), List.of());
                    if (why != null) {
                        return why + " (its " + e.getKey() + " is a snapshot of " + d.name() + "'s " + c.name()
                                + " and would have to move with it)";
                    }
                    long size = Optional.ofNullable(a.get("size")).map(PythonInt::parseLong).orElse(c.size());
                    String vid = targetVid(o, e.getKey(), size);
                    volumes.add(new VolumePlan(e.getKey(), Action.REPOINT, "snapshot of " + d.name() + "'s " + c.name()
                            + ": moves with it", VolumeType.SNAPSHOT, a.get("pool"), a.get("vid"), null, size, 0, vid,
                            size, !"False".equals(a.get("rw")), attrs(vid, recorded ? c.targetVid() : null), originals(a, recorded), o.name()));
                    followers.add(o.name() + ":" + e.getKey());
                }
            }
        }
        if (!followers.isEmpty()) {
            notes.add(String.join(", ", followers) + " start from " + d.name() + "'s volumes: a snapshot lives in its source's"
                    + " pool, so their entries move with " + d.name() + " in the same qubes.xml save (they hold no data)");
        }
        return null;
    }

    private Optional<String> movedVid(Volume src) {
        return Optional.ofNullable(moved.get(key(src.pool().name(), src.vid(), null, null)));
    }

    /** The domain owning {@code v} (by pool and vid), for messages. */
    private Optional<String> ownerOf(Volume v) {
        return inst.model().domainsRecording(v.pool().name(), v.vid()).stream().findFirst();
    }

    private static VolumePlan leave(Volume v, String reason) {
        return new VolumePlan(v.name(), Action.LEAVE, reason, v.type(), v.pool().name(), v.vid(), null,
                v.config().size(), 0, null, v.config().size(), v.config().rw(), null, null, null);
    }

    private Map<String, String> attrs(String vid, String source) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("pool", target.pool().name());
        a.put("vid", vid);
        if (source != null) {
            a.put("source", source);
        }
        return a;
    }

    private static Map<String, String> originals(Map<String, String> recorded, boolean withSource) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("pool", recorded.get("pool"));
        o.put("vid", recorded.get("vid"));
        if (withSource) {
            o.put("source", recorded.get("source"));
        }
        return o;
    }

    /**
     * The vid the target driver gives volume {@code name} of {@code d}, refusing a name another
     * volume of this plan already uses or that already exists in the target pool.
     */
    private String targetVid(DomainEntry d, String name, long size) {
        Pool pool = target.pool();
        // An origin-shaped spec: drivers name every volume type alike, and verify() of an origin
        // tells whether its data exists (a volatile volume's verify would not).
        Volume probe = pool.initVolume(new VolumeSpec(new DomainRef(d.name(), d.isTemplate()), name, Optional.empty(), true,
                true, false, OptionalInt.empty(), Math.max(size, 1), Optional.empty(), Optional.empty()));
        String vid = probe.vid();
        String owner = claimed.get(vid);
        if (owner != null && !owner.equals(d.name() + "/" + name)) {
            throw ToolException.input("Domain " + d.name() + ", volume " + name + ": another volume of this run is also named "
                    + vid + " in pool " + pool.name());
        }
        boolean exists;
        try {
            probe.verify();
            exists = true;
        } catch (StorageException e) {
            exists = false;
        }
        if (exists) {
            throw new Conflict("Domain " + d.name() + ", volume " + name + ": pool " + pool.name() + " already has a volume "
                    + vid + " (left by an earlier migration? see --rollback, or remove it)");
        }
        return vid;
    }

    /** A target name that is taken: the domain is skipped, the others go ahead. */
    private static final class Conflict extends RuntimeException {
        Conflict(String message) {
            super(message, null, false, false);
        }
    }

    private String runningReason(String domain, List<Path> images) {
        for (RunningCheck check : checks) {
            Optional<String> why = check.check(domain, images);
            if (why.isPresent()) {
                return "Domain " + domain + " is in use: " + why.get();
            }
        }
        return null;
    }

    private static DomainPlan finish(DomainEntry d, List<VolumePlan> volumes, List<String> notes, String skip) {
        boolean moves = volumes.stream().anyMatch(v -> v.action() != Action.LEAVE);
        Status status = skip != null ? Status.SKIPPED : moves ? Status.MIGRATE : Status.NOTHING_TO_DO;
        String reason = skip != null ? skip : moves ? null : "nothing to move";
        return new DomainPlan(d.name(), d.klass(), d.template().orElse(null), status, reason, volumes, notes);
    }

    DomainPlan planSafely(DomainEntry d, boolean legacy) {
        try {
            return legacy ? planLegacy(d) : planR4(d);
        } catch (Conflict c) {
            return new DomainPlan(d.name(), d.klass(), d.template().orElse(null), Status.SKIPPED, c.getMessage(), List.of(), List.of());
        }
    }

    // ---- R2/R3 ---------------------------------------------------------------------------------

    private DomainPlan planLegacy(DomainEntry d) {
        if (d.klass().equals("AdminVM")) {
            return new DomainPlan(d.name(), d.klass(), null, Status.NOTHING_TO_DO, "dom0 has no volumes to move", List.of(), List.of());
        }
        if (d.klass().equals("DispVM")) {
            return new DomainPlan(d.name(), d.klass(), d.template().orElse(null), Status.NOTHING_TO_DO,
                    "R2/R3 disposable VMs hold no data; R4 creates them anew", List.of(), List.of());
        }
        List<VolumePlan> volumes = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<Path> images = new ArrayList<>();
        List<String> missingLegacy = new ArrayList<>();
        boolean ownRoot = d.isTemplate() || d.klass().equals("StandaloneVM");
        for (Map.Entry<String, Path> e : d.images().entrySet()) {
            String name = e.getKey();
            Path image = inst.remap(e.getValue());
            String where = "Domain " + d.name() + ", volume " + name;
            boolean data = name.equals("private") || (name.equals("root") && ownRoot);
            if (data) {
                try {
                    image = inst.legacyImage(d, name);
                } catch (StorageException ex) {
                    if (ex.code() != ErrorCode.NOT_FOUND) {
                        throw ex;
                    }
                    missingLegacy.add(name);
                    volumes.add(new VolumePlan(name, Action.LEAVE, "MISSING: image " + image + " does not exist",
                            VolumeType.ORIGIN, null, null, image.toString(), 0, 0, null, 0, true, null, null, null));
                    continue;
                }
                images.add(image);
                ImageStats stats = ImageStats.of(image, OptionalLong.empty());
                String vid = targetVid(d, name, stats.apparent());
                volumes.add(new VolumePlan(name, Action.COPY, "holds data", VolumeType.ORIGIN, null, null, image.toString(),
                        stats.apparent(), stats.allocated(), vid, stats.apparent(), true,
                        r4Entry(name, vid, stats.apparent(), true, true, false, null), null, null));
            } else if (name.equals("volatile")) {
                long size = Files.isRegularFile(image, LinkOption.NOFOLLOW_LINKS) ? ImageStats.of(image, OptionalLong.empty()).apparent() : 10L << 30;
                String vid = targetVid(d, name, size);
                volumes.add(new VolumePlan(name, Action.REPOINT, "volatile: recreated empty at every start", VolumeType.VOLATILE,
                        null, null, null, size, 0, vid, size, true, r4Entry(name, vid, size, true, false, false, null), null, null));
            }
        }
        if (!ownRoot) {
            String template = d.template().orElseThrow();
            String rootKey = key(null, null, template, "root");
            String newSource = moved.get(rootKey);
            if (newSource == null) {
                notes.add("root is a snapshot of template " + template + "'s root, which is not migrated in this run: migrate "
                        + template + " too to get its R4 root entry");
            } else {
                long size = inst.model().domain(template).flatMap(t -> Optional.ofNullable(t.images().get("root")))
                        .map(inst::remap).filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).map(p -> ImageStats.of(p, OptionalLong.empty()).apparent())
                        .orElse(10L << 30);
                String vid = targetVid(d, "root", size);
                volumes.add(new VolumePlan("root", Action.REPOINT, "snapshot of " + template + "'s root, which moves too",
                        VolumeType.SNAPSHOT, null, null, null, size, 0, vid, size, true,
                        r4Entry("root", vid, size, true, false, true, newSource), null, null));
            }
        }
        if (!missingLegacy.isEmpty()) {
            return missing(d, volumes, notes, missingLegacy);
        }
        return finish(d, volumes, notes, runningReason(d.name(), images));
    }

    private Map<String, String> r4Entry(String name, String vid, long size, boolean rw, boolean save, boolean snap, String source) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("name", name);
        a.put("pool", target.pool().name());
        a.put("vid", vid);
        a.put("revisions_to_keep", Integer.toString(target.pool().revisionsToKeep()));
        a.put("rw", VolumeConfig.pythonBool(rw));
        a.put("save_on_stop", VolumeConfig.pythonBool(save));
        a.put("snap_on_start", VolumeConfig.pythonBool(snap));
        a.put("size", Long.toString(size));
        if (source != null) {
            a.put("source", source);
        }
        return a;
    }
}
