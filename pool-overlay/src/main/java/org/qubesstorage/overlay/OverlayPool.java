package org.qubesstorage.overlay;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.overlay.catalog.Catalog;
import org.qubesstorage.overlay.catalog.RevisionRef;
import org.qubesstorage.overlay.catalog.StoredRevision;
import org.qubesstorage.overlay.catalog.VolumeDir;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.SpaceUse;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeConfig;
import org.qubesstorage.spi.VolumeRules;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.support.DirectoryPool;

/**
 * An {@code overlay} pool: one directory per volume ({@code <dir_path>/<vid>}), its revisions
 * described by {@link Catalog}. Changes that involve more than one volume (a commit that prunes a
 * revision another chain might sit on, a start that stacks a parent's level, a removal) run under
 * the pool's lock, so the catalog they read is the one they change.
 */
public final class OverlayPool extends DirectoryPool {
    private final DeviceMapper dm;
    private final CommitObserver observer;
    private final ReentrantLock lock = new ReentrantLock();

    OverlayPool(PoolConfig config, DeviceMapper dm, CommitObserver observer) {
        super(config, 1);
        this.dm = dm;
        this.observer = observer;
    }

    CommitObserver observer() {
        return observer;
    }

    DeviceMapper dm() {
        return dm;
    }

    /** Runs {@code action} under the pool's lock. */
    <T> T locked(Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    void locked(Runnable action) {
        locked(() -> {
            action.run();
            return null;
        });
    }

    /** The catalog as the disk has it now. */
    Catalog catalog() {
        return Catalog.scan(directory());
    }

    /**
     * The revisions running chains sit on: the source revision each running snapshot session
     * recorded. A running origin volume sits on its own current revision, which nothing prunes.
     */
    Set<RevisionRef> running() {
        Set<RevisionRef> out = new HashSet<>();
        for (Volume v : listVolumes()) {
            if (v instanceof OverlayVolume o) {
                o.sessionSource().ifPresent(out::add);
            }
        }
        return out;
    }

    @Override
    public String driverName() {
        return OverlayDriver.NAME;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.ORIGIN_VOLUMES, Capability.SNAPSHOT_VOLUMES, Capability.VOLATILE_VOLUMES,
                Capability.REVISIONS, Capability.REVERT, Capability.REVERT_KEEPS_CURRENT, Capability.EXPORT_WHILE_RUNNING,
                Capability.IMPORT_DATA, Capability.CHEAP_CLONE, Capability.LAYERS, Capability.GROW,
                Capability.SPACE_ACCOUNTING, Capability.DUPLICATE_REPORT);
    }

    /**
     * From the layers: a volume's revisions and its running session are its own files, exclusive
     * to it unless a layer of another volume sits on the revision (a branch reads it, so removing
     * the volume would free nothing of it: it is shared).
     */
    @Override
    public Map<String, SpaceUse> volumeSpace() {
        return locked(() -> {
            Catalog catalog = catalog();
            Map<String, SpaceUse> out = new LinkedHashMap<>();
            for (Volume v : listVolumes()) {
                SpaceUse total = SpaceUse.exclusive(0);
                for (StoredRevision r : catalog.revisions(v.vid())) {
                    long bytes = allocated(r.data());
                    boolean branched = catalog.dependents(new RevisionRef(v.vid(), r.number()), Set.of()).stream()
                            .anyMatch(d -> !d.vid().equals(v.vid()));
                    total = total.plus(branched ? new SpaceUse(bytes, 0, bytes) : SpaceUse.exclusive(bytes));
                }
                VolumeDir dir = catalog.volume(v.vid());
                if (Files.exists(dir.session(), LinkOption.NOFOLLOW_LINKS)) {
                    total = total.plus(SpaceUse.exclusive(allocated(dir.session())));
                }
                out.put(v.vid(), total);
            }
            return out;
        });
    }

    @Override
    public void setup() {
        createLayout();
    }

    @Override
    public void destroy() {
        // As the directory pools upstream: the directory and its volumes stay.
    }

    @Override
    public Volume initVolume(VolumeSpec spec) {
        VolumeRules.validate(this, spec);
        String vid = vidFor(spec);
        Path dir = volumeDirectory(vid).resolve(fileStem(vid));
        int rtk = spec.revisionsToKeep().orElse(revisionsToKeep());
        VolumeConfig config = VolumeRules.toConfig(this, spec, vid, rtk);
        return register(new OverlayVolume(this, config, spec.source(), new VolumeDir(dir)));
    }
}
