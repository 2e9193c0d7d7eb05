package org.qubesstorage.facade;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.xml.DomainEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One domain's volumes and what is done with them together (upstream's {@code Storage}): start and
 * stop all concurrently (a failed start stops what had started and reports the first error), create,
 * remove, verify, clone, import, export, resize, and the list of outdated volumes.
 */
public final class DomainStorage {
    private static final Logger LOG = LoggerFactory.getLogger(DomainStorage.class);

    private final DomainEntry entry;
    private final Map<String, Volume> volumes;
    private final RunningState running;
    private final EphemeralCrypt crypt;

    DomainStorage(DomainEntry entry, Map<String, Volume> volumes, RunningState running, EphemeralCrypt crypt) {
        this.entry = requireNonNull(entry, "entry");
        this.volumes = Collections.unmodifiableMap(new LinkedHashMap<>(volumes));
        this.running = requireNonNull(running, "running");
        this.crypt = requireNonNull(crypt, "crypt");
    }

    /**
     * The recorded volumes in file order, then those of the class's default {@code volume_config}
     * that the file does not record: upstream merges the recorded attributes over the class
     * defaults ({@code QubesVM.__init__}), so a domain without {@code <volume-config>} still has
     * its root, private, volatile and kernel volumes.
     */
    static DomainStorage load(DomainEntry entry, VolumeResolver resolver, RunningState running, EphemeralCrypt crypt) {
        Map<String, Map<String, String>> configs = new LinkedHashMap<>(entry.volumes());
        for (String name : VolumeDefaults.forClass(entry.klass()).keySet()) {
            configs.putIfAbsent(name, Map.of());
        }
        Map<String, Volume> vols = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, String>> v : configs.entrySet()) {
            VolumeResolver.Resolved r = resolver.resolve(entry, v.getKey(), v.getValue());
            vols.put(v.getKey(), r.pool().initVolume(r.spec()));
        }
        return new DomainStorage(entry, vols, running, crypt);
    }

    /**
     * A domain's storage from specs the caller made (a new domain, not yet in {@code qubes.xml}):
     * each volume is initialised in its pool; nothing is created on disk.
     */
    public static DomainStorage init(DomainEntry entry, Map<String, Map.Entry<Pool, VolumeSpec>> specs, RunningState running) {
        Map<String, Volume> vols = new LinkedHashMap<>();
        specs.forEach((name, ps) -> vols.put(name, ps.getKey().initVolume(ps.getValue())));
        return new DomainStorage(entry, vols, running, EphemeralCrypt.system());
    }

    /** The volumes by name, each with the encrypted mapping it would run behind. */
    private Map<Volume, Path> mappings() {
        Map<Volume, Path> out = new LinkedHashMap<>();
        volumes.forEach((name, v) -> out.put(v, EphemeralCrypt.mapping(entry.name(), name)));
        return out;
    }

    /** Starts {@code v}: behind its encrypted mapping when ephemeral (upstream's {@code start_encrypted}). */
    private void startOne(Volume v, Path mapping) {
        Locked.run(v, () -> {
            if (EphemeralCrypt.isEphemeral(v)) {
                crypt.start(v, mapping);
            } else {
                v.start();
            }
        });
    }

    /** Stops {@code v}, closing an encrypted mapping first wherever there is one (upstream's {@code stop_encrypted}). */
    private void stopOne(Volume v, Path mapping) {
        Locked.run(v, () -> crypt.stop(v, mapping));
    }

    public DomainEntry entry() {
        return entry;
    }

    public String name() {
        return entry.name();
    }

    public Map<String, Volume> volumes() {
        return volumes;
    }

    public Volume volume(String name) {
        Volume v = volumes.get(name);
        if (v == null) {
            throw StorageException.notFound("Domain " + entry.name() + " has no volume " + name);
        }
        return v;
    }

    /** Creates every volume on disk, concurrently; the first failure is thrown after all finished. */
    public void create() {
        Concurrently.throwFirst(Concurrently.forEach(list(), v -> Locked.run(v, v::create)));
    }

    /**
     * Starts every volume concurrently. Refuses first if a source volume with snapshots disabled is
     * running. If any start fails, the volumes that did start are stopped again and the first error
     * is thrown (later ones suppressed).
     */
    public void start() {
        for (Volume v : volumes.values()) {
            Optional<Volume> src = v.source();
            if (src.isPresent() && src.get().config().snapshotsDisabled() && running.isRunning(src.get())) {
                throw StorageException.busy("Volume " + src.get().vid() + " is running (it has snapshots disabled)"
                        + " and cannot be the source of " + v.vid() + " now");
            }
        }
        Map<Volume, Path> mappings = mappings();
        List<Concurrently.Outcome<Volume>> outcomes = Concurrently.forEach(list(), v -> startOne(v, mappings.get(v)));
        List<Volume> started = new ArrayList<>();
        boolean failed = false;
        for (Concurrently.Outcome<Volume> o : outcomes) {
            if (o.ok()) {
                started.add(o.item());
            } else {
                failed = true;
            }
        }
        if (failed) {
            List<Concurrently.Outcome<Volume>> undo = Concurrently.forEach(started, v -> stopOne(v, mappings.get(v)));
            undo.stream().filter(o -> !o.ok()).forEach(o -> LOG.warn("Stopping {} after a failed start failed too: {}",
                    o.item(), o.failure().getMessage()));
            Concurrently.throwFirst(outcomes);
        }
        volumes.values().forEach(running::markRunning);
    }

    /** Stops every volume concurrently; all are stopped even if one fails, then the first error is thrown. */
    public void stop() {
        Map<Volume, Path> mappings = mappings();
        List<Concurrently.Outcome<Volume>> outcomes = Concurrently.forEach(list(), v -> stopOne(v, mappings.get(v)));
        for (Concurrently.Outcome<Volume> o : outcomes) {
            if (o.ok()) {
                running.markStopped(o.item());
            }
        }
        Concurrently.throwFirst(outcomes);
    }

    /** Removes every volume (stopping them first; stop errors are logged, as upstream). */
    public void remove() {
        try {
            stop();
        } catch (StorageException e) {
            LOG.warn("Stopping {} before removal failed: {}", entry.name(), e.getMessage());
        }
        Concurrently.throwFirst(Concurrently.forEach(list(), v -> Locked.run(v, v::remove)));
    }

    /** Verifies every volume; the first failure is thrown. */
    public void verify() {
        Concurrently.throwFirst(Concurrently.forEach(list(), Volume::verify));
    }

    /**
     * Clones {@code source}'s data into this domain's volumes (upstream's {@code clone}): for every
     * origin volume, create it and import the same-named volume of {@code source}. On failure the
     * volumes created here are removed again.
     */
    public void cloneFrom(DomainStorage source) {
        List<Volume> targets = new ArrayList<>();
        for (Volume v : volumes.values()) {
            if (v.config().saveOnStop() && !v.config().snapOnStart() && source.volumes.containsKey(v.name())) {
                targets.add(v);
            }
        }
        List<Volume> created = Collections.synchronizedList(new ArrayList<>());
        List<Concurrently.Outcome<Volume>> outcomes = Concurrently.forEach(targets, v -> Locked.run(v, () -> {
            v.create();
            created.add(v);
            importVolume(v, source.volume(v.name()));
        }));
        if (outcomes.stream().anyMatch(o -> !o.ok())) {
            Concurrently.forEach(List.copyOf(created), v -> Locked.run(v, v::remove));
            Concurrently.throwFirst(outcomes);
        }
    }

    /** Imports {@code src}'s data into {@code target} (refused while a snapshots-disabled source runs). */
    public void importVolume(Volume target, Volume src) {
        if (src.config().snapshotsDisabled() && running.isRunning(src)) {
            throw StorageException.busy("Volume " + src.vid() + " must be stopped before importing its data");
        }
        Locked.run(target, () -> target.importVolume(src));
    }

    /** Starts an import of {@code size} bytes (the current size when absent) into volume {@code name}. */
    public Path importData(String name, Optional<Long> size) {
        Volume v = volume(name);
        return Locked.call(v, () -> v.importData(size.orElse(v.size())));
    }

    public void importDataEnd(String name, boolean success) {
        Volume v = volume(name);
        Locked.run(v, () -> v.importDataEnd(success));
    }

    public Path export(String name) {
        return volume(name).export();
    }

    public void exportEnd(String name, Path exported) {
        volume(name).exportEnd(exported);
    }

    public void resize(String name, long size) {
        Volume v = volume(name);
        Locked.run(v, () -> v.resize(size));
    }

    /** Volumes whose source changed since they started (empty when the domain is not running). */
    public List<Volume> outdatedVolumes() {
        List<Volume> out = new ArrayList<>();
        for (Volume v : volumes.values()) {
            if (running.isRunning(v) && v.isOutdated()) {
                out.add(v);
            }
        }
        return out;
    }

    /** What to attach to the domain, in volume order; an ephemeral volume as its encrypted mapping. */
    public List<BlockDevice> blockDevices() {
        List<BlockDevice> out = new ArrayList<>();
        volumes.forEach((name, v) -> v.blockDevice().ifPresent(d -> out.add(EphemeralCrypt.isEphemeral(v)
                ? BlockDevice.disk(EphemeralCrypt.mapping(entry.name(), name), d.name(), d.rw()) : d)));
        return out;
    }

    private List<Volume> list() {
        return List.copyOf(volumes.values());
    }
}
