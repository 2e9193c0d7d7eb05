package org.qubesstorage.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Layer;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.Revision;
import org.qubesstorage.spi.SpaceUse;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.StoredData;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/**
 * The conformance kit: extend it in a driver's tests, implement {@link #createPool(Path)}, and every
 * scenario of upstream's storage test suites runs against the real driver, gated on the capabilities
 * the pool declares, in both directions (declared: it works; not declared: NOT_SUPPORTED).
 *
 * <p>Tests write and read real bytes through the block device or image path the driver returns (see
 * {@link #io()}). Each test gets a fresh pool in a fresh scratch directory; volumes a test made are
 * removed afterwards.
 */
@DisplayNameGeneration(SentenceNames.class)
public abstract class PoolConformanceKit {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    @TempDir
    protected Path scratch;

    protected Pool pool;
    private final List<Volume> made = Collections.synchronizedList(new ArrayList<>());

    /** A fresh, set-up pool of the driver under test, storing its data under {@code scratch}. */
    protected abstract Pool createPool(Path scratch) throws Exception;

    /** Releases what {@link #createPool(Path)} made (after the kit removed its volumes). */
    protected void destroyPool(Pool pool) throws Exception {
        pool.destroy();
    }

    /** How the kit reaches a volume's bytes. */
    protected VolumeIo io() {
        return VolumeIo.DIRECT;
    }

    /**
     * The {@code revisions_to_keep} the revision tests use (at least 1). Drivers that keep fewer
     * than 2 revisions (upstream's file driver keeps at most 1) override it.
     */
    protected int revisionsToKeepForTests() {
        return 2;
    }

    /** The size of the volumes the kit makes; small, so the kit is quick on any backend. */
    protected long volumeSize() {
        return 16L << 20;
    }

    @BeforeEach
    void makePool() throws Exception {
        pool = createPool(scratch);
    }

    @AfterEach
    void cleanUp() throws Exception {
        List<Volume> vols = new ArrayList<>(made);
        Collections.reverse(vols);
        for (Volume v : vols) {
            try {
                locked(v, () -> {
                    v.stop();
                    return null;
                });
            } catch (RuntimeException ignored) {
                // the test may have left it stopped or removed
            }
            try {
                locked(v, () -> {
                    v.remove();
                    return null;
                });
            } catch (RuntimeException ignored) {
                // already removed
            }
        }
        destroyPool(pool);
    }

    // ---- helpers ------------------------------------------------------------------------------

    protected boolean has(Capability c) {
        return pool.capabilities().contains(c);
    }

    protected DomainRef newDomain(boolean template) {
        return new DomainRef((template ? "tpl" : "vm") + COUNTER.incrementAndGet(), template);
    }

    protected <T> T locked(Volume v, Callable<T> action) {
        v.lock().lock();
        try {
            return action.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            v.lock().unlock();
        }
    }

    protected Volume init(VolumeSpec spec) {
        Volume v = pool.initVolume(spec);
        made.add(v);
        return v;
    }

    protected Volume origin(DomainRef d, String name) {
        Volume v = init(VolumeSpec.origin(d, name, volumeSize()));
        create(v);
        return v;
    }

    protected Volume origin() {
        return origin(newDomain(false), "private");
    }

    protected Volume snapshotOf(Volume source) {
        Volume v = init(VolumeSpec.snapshot(newDomain(false), "root", source, true));
        create(v);
        return v;
    }

    protected Volume volatileVolume() {
        Volume v = init(VolumeSpec.volatileVolume(newDomain(false), "volatile", volumeSize()));
        create(v);
        return v;
    }

    protected void create(Volume v) {
        locked(v, () -> {
            v.create();
            return null;
        });
    }

    protected void start(Volume v) {
        locked(v, () -> {
            v.start();
            return null;
        });
    }

    protected void stop(Volume v) {
        locked(v, () -> {
            v.stop();
            return null;
        });
    }

    protected void remove(Volume v) {
        locked(v, () -> {
            v.remove();
            return null;
        });
    }

    protected Path device(Volume v) {
        BlockDevice dev = v.blockDevice().orElseThrow(() -> new AssertionError(v + " has no block device"));
        return dev.path();
    }

    protected void write(Volume v, long offset, byte[] data) {
        try {
            io().write(device(v), offset, data);
        } catch (java.io.IOException e) {
            throw new AssertionError("writing " + v + " failed", e);
        }
    }

    protected byte[] read(Volume v, long offset, int length) {
        return readPath(device(v), offset, length);
    }

    protected byte[] readPath(Path p, long offset, int length) {
        try {
            return io().read(p, offset, length);
        } catch (java.io.IOException e) {
            throw new AssertionError("reading " + p + " failed", e);
        }
    }

    protected static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    protected static byte[] zeros(int length) {
        return new byte[length];
    }

    /** Writes {@code data} at {@code offset} of an origin volume and commits it with a start/stop. */
    protected void commit(Volume v, long offset, byte[] data) {
        start(v);
        write(v, offset, data);
        stop(v);
    }

    protected byte[] exported(Volume v, long offset, int length) {
        Path p = v.export();
        try {
            return readPath(p, offset, length);
        } finally {
            v.exportEnd(p);
        }
    }

    protected static void assertCode(ThrowingRunnable r, ErrorCode code) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(code));
    }

    /** A runnable that may throw. */
    @FunctionalInterface
    protected interface ThrowingRunnable {
        void run() throws Exception;
    }

    // ---- the scenarios ------------------------------------------------------------------------

    @Nested
    @DisplayName("Origin volumes (save_on_stop)")
    class OriginVolumes {
        @BeforeEach
        void declared() {
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "the pool does not declare origin volumes");
        }

        @Test
        void are_created_started_stopped_and_removed() {
            Volume v = origin();
            v.verify();
            assertThat(v.isDirty()).isFalse();
            start(v);
            // Some drivers (upstream's file driver) are dirty only once the domain wrote something.
            write(v, 0, random(4096, 99));
            assertThat(v.isDirty()).as("dirty while running after a write").isTrue();
            assertThat(v.blockDevice()).get().satisfies(d -> {
                assertThat(d.rw()).isTrue();
                assertThat(d.name()).isEqualTo("private");
                assertThat(d.devtype()).isEqualTo("disk");
            });
            stop(v);
            assertThat(v.isDirty()).isFalse();
            remove(v);
            assertCode(v::verify, ErrorCode.NOT_FOUND);
        }

        @Test
        void keep_their_data_across_stop_and_start() {
            Volume v = origin();
            byte[] data = random(1 << 20, 1);
            commit(v, 4096, data);
            start(v);
            assertThat(read(v, 4096, data.length)).isEqualTo(data);
            stop(v);
        }

        @Test
        void start_empty_and_report_their_size() {
            Volume v = origin();
            assertThat(v.size()).isEqualTo(volumeSize());
            start(v);
            assertThat(read(v, 0, 65536)).isEqualTo(zeros(65536));
            stop(v);
        }

        @Test
        void refuse_to_be_created_twice() {
            Volume v = origin();
            assertCode(() -> create(v), ErrorCode.ALREADY_EXISTS);
        }

        @Test
        void report_usage_no_larger_than_size() {
            Volume v = origin();
            commit(v, 0, random(1 << 20, 2));
            assertThat(v.usage()).isPresent();
            assertThat(v.usage().getAsLong()).isBetween(0L, v.size());
        }

        @Test
        void are_listed_by_their_pool() {
            Volume v = origin();
            assertThat(pool.getVolume(v.vid())).contains(v);
            assertThat(pool.listVolumes()).contains(v);
        }
    }

    @Nested
    @DisplayName("Snapshot volumes (snap_on_start)")
    class SnapshotVolumes {
        @BeforeEach
        void declared() {
            assumeTrue(has(Capability.SNAPSHOT_VOLUMES), "the pool does not declare snapshot volumes");
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "snapshot tests need origin volumes as sources");
        }

        @Test
        void see_the_source_data_and_forget_their_own_writes() {
            Volume src = origin(newDomain(true), "root");
            byte[] data = random(65536, 3);
            commit(src, 0, data);
            Volume snap = snapshotOf(src);
            start(snap);
            assertThat(read(snap, 0, data.length)).isEqualTo(data);
            write(snap, 0, zeros(data.length));
            assertThat(snap.isDirty()).isFalse();
            stop(snap);
            start(snap);
            assertThat(read(snap, 0, data.length)).isEqualTo(data);
            stop(snap);
        }

        @Test
        void see_origin_changes_only_after_the_origin_stopped_and_the_snapshot_restarted() {
            Volume src = origin(newDomain(true), "root");
            byte[] first = random(65536, 4);
            byte[] second = random(65536, 5);
            commit(src, 0, first);
            Volume snap = snapshotOf(src);
            start(snap);
            start(src);
            write(src, 0, second);
            assertThat(read(snap, 0, first.length)).as("while the origin runs").isEqualTo(first);
            stop(src);
            assertThat(read(snap, 0, first.length)).as("before the snapshot restarts").isEqualTo(first);
            assertThat(snap.isOutdated()).isTrue();
            stop(snap);
            start(snap);
            assertThat(read(snap, 0, second.length)).isEqualTo(second);
            assertThat(snap.isOutdated()).isFalse();
            stop(snap);
        }

        @Test
        void must_name_a_source_in_the_same_pool() {
            DomainRef d = newDomain(false);
            VolumeSpec noSource = new VolumeSpec(d, "root", Optional.empty(), true, false, true, OptionalInt.empty(),
                    volumeSize(), Optional.empty(), Optional.empty());
            assertCode(() -> pool.initVolume(noSource), ErrorCode.INVALID_ARGUMENT);
            Volume src = origin(newDomain(true), "root");
            VolumeSpec sourceWithoutSnap = new VolumeSpec(d, "root", Optional.empty(), true, true, false,
                    OptionalInt.empty(), volumeSize(), Optional.of(src), Optional.empty());
            assertCode(() -> pool.initVolume(sourceWithoutSnap), ErrorCode.INVALID_ARGUMENT);
        }

        @Test
        void take_the_source_size() {
            Volume src = origin(newDomain(true), "root");
            Volume snap = snapshotOf(src);
            assertThat(snap.config().size()).isEqualTo(src.size());
        }
    }

    @Nested
    @DisplayName("Volatile volumes")
    class VolatileVolumes {
        @BeforeEach
        void declared() {
            assumeTrue(has(Capability.VOLATILE_VOLUMES), "the pool does not declare volatile volumes");
        }

        @Test
        void read_as_zeros_at_every_start() {
            Volume v = volatileVolume();
            start(v);
            assertThat(read(v, 0, 65536)).isEqualTo(zeros(65536));
            write(v, 0, random(65536, 6));
            stop(v);
            start(v);
            assertThat(read(v, 0, 65536)).isEqualTo(zeros(65536));
            stop(v);
        }

        @Test
        void are_not_ephemeral_unless_the_pool_says_so() {
            Volume v = volatileVolume();
            assertThat(v.config().effectiveEphemeral(pool.ephemeralVolatile())).isEqualTo(pool.ephemeralVolatile());
            assertThat(v.isDirty()).isFalse();
        }

        @Test
        void cannot_make_other_types_ephemeral() {
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            VolumeSpec spec = VolumeSpec.origin(newDomain(false), "private", volumeSize()).withEphemeral(true);
            assertCode(() -> pool.initVolume(spec), ErrorCode.INVALID_ARGUMENT);
        }
    }

    @Nested
    @DisplayName("Read-only volumes")
    class ReadOnlyVolumes {
        @Test
        void hand_out_a_read_only_device_and_stay_unchanged() {
            assumeTrue(has(Capability.ORIGIN_VOLUMES) && has(Capability.SNAPSHOT_VOLUMES), "needs origin and snapshot volumes");
            Volume src = origin(newDomain(true), "root");
            byte[] data = random(65536, 7);
            commit(src, 0, data);
            Volume ro = init(VolumeSpec.snapshot(newDomain(false), "root", src, false));
            create(ro);
            start(ro);
            assertThat(ro.blockDevice()).get().extracting(BlockDevice::rw).isEqualTo(false);
            stop(ro);
            assertThat(exported(src, 0, data.length)).isEqualTo(data);
            assertCode(() -> locked(ro, () -> {
                ro.resize(volumeSize() * 2);
                return null;
            }), ErrorCode.INVALID_ARGUMENT);
        }
    }

    @Nested
    @DisplayName("Volume types a pool does not declare")
    class UndeclaredTypes {
        @Test
        void origin_volumes_are_refused_as_not_supported() {
            assumeFalse(has(Capability.ORIGIN_VOLUMES), "the pool declares origin volumes");
            assertCode(() -> pool.initVolume(VolumeSpec.origin(newDomain(false), "private", volumeSize())),
                    ErrorCode.NOT_SUPPORTED);
        }

        @Test
        void volatile_volumes_are_refused_as_not_supported() {
            assumeFalse(has(Capability.VOLATILE_VOLUMES), "the pool declares volatile volumes");
            assertCode(() -> pool.initVolume(VolumeSpec.volatileVolume(newDomain(false), "volatile", volumeSize())),
                    ErrorCode.NOT_SUPPORTED);
        }

        @Test
        void origin_snapshot_volumes_are_refused_as_not_supported() {
            assumeFalse(has(Capability.ORIGIN_SNAPSHOT_VOLUMES), "the pool declares origin+snapshot volumes");
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs an origin volume as source");
            Volume src = origin(newDomain(true), "root");
            VolumeSpec both = new VolumeSpec(newDomain(false), "root", Optional.empty(), true, true, true,
                    OptionalInt.empty(), volumeSize(), Optional.of(src), Optional.empty());
            assertCode(() -> pool.initVolume(both), ErrorCode.NOT_SUPPORTED);
        }
    }

    @Nested
    @DisplayName("Revisions")
    class Revisions {
        @Test
        void rotate_to_revisions_to_keep() {
            assumeTrue(has(Capability.REVISIONS), "the pool does not declare revisions");
            int keep = revisionsToKeepForTests();
            Volume v = init(VolumeSpec.origin(newDomain(false), "private", volumeSize()).withRevisionsToKeep(keep));
            create(v);
            for (int i = 0; i < keep + 2; i++) {
                commit(v, 0, random(4096, 10 + i));
                assertThat(v.revisions()).hasSizeLessThanOrEqualTo(keep);
            }
            assertThat(v.revisions()).hasSize(keep);
            List<Revision> revs = v.revisions();
            for (int i = 1; i < revs.size(); i++) {
                assertThat(revs.get(i - 1).created()).isBeforeOrEqualTo(revs.get(i).created());
            }
        }

        @Test
        void are_not_kept_with_revisions_to_keep_zero() {
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            Volume v = init(VolumeSpec.origin(newDomain(false), "private", volumeSize()).withRevisionsToKeep(0));
            create(v);
            commit(v, 0, random(4096, 20));
            commit(v, 0, random(4096, 21));
            assertThat(v.revisions()).isEmpty();
        }

        @Test
        void restore_data_on_revert() {
            assumeTrue(has(Capability.REVERT), "the pool does not declare revert");
            Volume v = init(VolumeSpec.origin(newDomain(false), "private", volumeSize()).withRevisionsToKeep(2));
            create(v);
            byte[] first = random(65536, 30);
            byte[] second = random(65536, 31);
            commit(v, 0, first);
            commit(v, 0, second);
            Revision newest = v.revisions().getLast();
            locked(v, () -> {
                v.revert(newest.id());
                return null;
            });
            assertThat(exported(v, 0, first.length)).isEqualTo(first);
            if (has(Capability.REVERT_KEEPS_CURRENT)) {
                Revision kept = v.revisions().getLast();
                locked(v, () -> {
                    v.revert(kept.id());
                    return null;
                });
                assertThat(exported(v, 0, second.length)).as("reverting the revert").isEqualTo(second);
            }
        }

        @Test
        void refuse_to_revert_a_dirty_volume() {
            assumeTrue(has(Capability.REVERT), "the pool does not declare revert");
            Volume v = origin();
            commit(v, 0, random(4096, 32));
            commit(v, 0, random(4096, 33));
            start(v);
            String id = v.revisions().getLast().id();
            assertCode(() -> locked(v, () -> {
                v.revert(id);
                return null;
            }), ErrorCode.DIRTY);
            stop(v);
        }

        @Test
        void cannot_be_reverted_where_revert_is_not_declared() {
            assumeFalse(has(Capability.REVERT), "the pool declares revert");
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            Volume v = origin();
            commit(v, 0, random(4096, 34));
            assertCode(() -> locked(v, () -> {
                v.revert("1");
                return null;
            }), ErrorCode.NOT_SUPPORTED);
        }
    }

    @Nested
    @DisplayName("Snapshots disabled (revisions_to_keep = -1)")
    class SnapshotsDisabled {
        @Test
        void use_the_volume_directly_and_keep_data_without_revisions() {
            assumeTrue(has(Capability.SNAPSHOTS_DISABLED), "the pool does not declare revisions_to_keep=-1");
            Volume v = init(VolumeSpec.origin(newDomain(false), "private", volumeSize()).withRevisionsToKeep(-1));
            create(v);
            assertThat(v.config().snapshotsDisabled()).isTrue();
            byte[] data = random(65536, 40);
            commit(v, 0, data);
            start(v);
            assertThat(read(v, 0, data.length)).isEqualTo(data);
            assertCode(v::export, ErrorCode.BUSY);
            stop(v);
            assertThat(v.revisions()).isEmpty();
            assertThat(exported(v, 0, data.length)).isEqualTo(data);
        }

        @Test
        void are_refused_where_not_declared() {
            assumeFalse(has(Capability.SNAPSHOTS_DISABLED), "the pool declares revisions_to_keep=-1");
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            VolumeSpec spec = VolumeSpec.origin(newDomain(false), "private", volumeSize()).withRevisionsToKeep(-1);
            assertCode(() -> pool.initVolume(spec), ErrorCode.NOT_SUPPORTED);
        }
    }

    @Nested
    @DisplayName("Importing data")
    class ImportData {
        @BeforeEach
        void declared() {
            assumeTrue(has(Capability.IMPORT_DATA), "the pool does not declare import_data");
        }

        @Test
        void replaces_the_data_on_success() {
            Volume v = origin();
            commit(v, 0, random(65536, 50));
            byte[] data = random(65536, 51);
            Path target = locked(v, () -> v.importData(volumeSize()));
            assertThat(target).isNotEqualTo(device(v));
            try {
                io().write(target, 8192, data);
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            locked(v, () -> {
                v.importDataEnd(true);
                return null;
            });
            assertThat(exported(v, 8192, data.length)).isEqualTo(data);
            assertThat(exported(v, 0, 8192)).isEqualTo(zeros(8192));
        }

        @Test
        void keeps_the_old_data_on_failure() {
            Volume v = origin();
            byte[] old = random(65536, 52);
            commit(v, 0, old);
            Path target = locked(v, () -> v.importData(volumeSize()));
            try {
                io().write(target, 0, random(65536, 53));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            locked(v, () -> {
                v.importDataEnd(false);
                return null;
            });
            assertThat(exported(v, 0, old.length)).isEqualTo(old);
        }

        @Test
        void takes_a_new_size() {
            Volume v = origin();
            locked(v, () -> v.importData(volumeSize() * 2));
            locked(v, () -> {
                v.importDataEnd(true);
                return null;
            });
            assertThat(v.size()).isEqualTo(volumeSize() * 2);
        }

        @Test
        void is_refused_while_the_volume_runs() {
            Volume v = origin();
            start(v);
            assertCode(() -> locked(v, () -> v.importData(volumeSize())), ErrorCode.DIRTY);
            stop(v);
        }
    }

    @Nested
    @DisplayName("Importing another volume")
    class ImportVolume {
        @Test
        void copies_its_data_and_adopts_its_size() {
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            Volume src = init(VolumeSpec.origin(newDomain(false), "private", volumeSize() * 2));
            create(src);
            byte[] data = random(1 << 20, 60);
            commit(src, volumeSize(), data);
            Volume dst = origin();
            locked(dst, () -> {
                dst.importVolume(src);
                return null;
            });
            assertThat(dst.size()).isEqualTo(src.size());
            assertThat(exported(dst, volumeSize(), data.length)).isEqualTo(data);
        }

        @Test
        void imports_the_pre_start_data_of_a_running_source() {
            assumeTrue(has(Capability.EXPORT_WHILE_RUNNING), "the pool does not declare export while running");
            Volume src = origin();
            byte[] committed = random(65536, 61);
            commit(src, 0, committed);
            start(src);
            write(src, 0, random(65536, 62));
            Volume dst = origin();
            locked(dst, () -> {
                dst.importVolume(src);
                return null;
            });
            stop(src);
            assertThat(exported(dst, 0, committed.length)).isEqualTo(committed);
        }

        @Test
        void within_the_pool_costs_no_data_where_cheap_clone_is_declared() {
            assumeTrue(has(Capability.CHEAP_CLONE), "the pool does not declare cheap clones");
            Volume src = init(VolumeSpec.origin(newDomain(false), "private", 64L << 20));
            create(src);
            commit(src, 0, random(32 << 20, 63));
            long before = pool.usage().orElseThrow();
            Volume dst = origin();
            locked(dst, () -> {
                dst.importVolume(src);
                return null;
            });
            long grown = pool.usage().orElseThrow() - before;
            assertThat(grown).as("pool usage growth for a 32 MiB clone").isLessThan(8L << 20);
        }
    }

    @Nested
    @DisplayName("Layers (same-pool clones that hold only their own changes)")
    class Layers {
        /** An origin volume with committed data, and a same-pool clone of it. */
        private Volume[] sourceAndClone(byte[] data) {
            Volume src = origin(newDomain(true), "root");
            commit(src, 0, data);
            Volume clone = origin(newDomain(true), "root");
            locked(clone, () -> {
                clone.importVolume(src);
                return null;
            });
            return new Volume[] {src, clone};
        }

        @Test
        void are_not_reported_where_not_declared() {
            assumeFalse(has(Capability.LAYERS), "the pool declares layers");
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            Volume[] v = sourceAndClone(random(65536, 80));
            assertThat(v[0].layer()).isEmpty();
            assertThat(v[1].layer()).as("a clone where layers are not declared").isEmpty();
            assertThat(v[0].revisions()).noneMatch(Revision::pinned);
        }

        @Test
        void name_their_parent_revision_and_fall_behind_when_it_commits() {
            assumeTrue(has(Capability.LAYERS), "the pool does not declare layers");
            byte[] before = random(65536, 81);
            Volume[] v = sourceAndClone(before);
            Volume src = v[0];
            Volume clone = v[1];
            assertThat(src.layer()).as("a volume made by create is no layer").isEmpty();
            Layer layer = clone.layer().orElseThrow(() -> new AssertionError("a same-pool clone is a layer"));
            assertThat(layer.parentVid()).isEqualTo(src.vid());
            assertThat(layer.behind()).isFalse();
            locked(src, () -> {
                src.setRevisionsToKeep(0);
                return null;
            });
            byte[] after = random(65536, 82);
            commit(src, 0, after);
            Layer now = clone.layer().orElseThrow();
            assertThat(now.behind()).as("behind once the parent committed").isTrue();
            assertThat(now.parentRevision()).isEqualTo(layer.parentRevision());
            assertThat(src.revisions()).as("the revision a layer sits on is kept although revisions_to_keep is 0")
                    .filteredOn(r -> r.id().equals(layer.parentRevision())).singleElement()
                    .extracting(Revision::pinned).isEqualTo(true);
            assertThat(exported(clone, 0, before.length)).as("the clone keeps its view").isEqualTo(before);
            assertThat(exported(src, 0, after.length)).isEqualTo(after);
        }

        @Test
        void keep_their_parent_until_removed() {
            assumeTrue(has(Capability.LAYERS), "the pool does not declare layers");
            Volume[] v = sourceAndClone(random(65536, 83));
            Volume src = v[0];
            Volume clone = v[1];
            assertThatThrownBy(() -> remove(src)).isInstanceOfSatisfying(StorageException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.IN_USE);
                assertThat(e.getMessage()).as("names what sits on it").contains(clone.vid());
            });
            src.verify();
            remove(clone);
            assertThat(src.revisions()).noneMatch(Revision::pinned);
            remove(src);
        }
    }

    @Nested
    @DisplayName("Space accounting and deduplication files")
    class SpaceAccounting {
        private static final int DATA = 1 << 20;

        @Test
        void is_refused_where_not_declared() {
            assumeFalse(has(Capability.SPACE_ACCOUNTING), "the pool declares space accounting");
            assertCode(() -> pool.volumeSpace(), ErrorCode.NOT_SUPPORTED);
        }

        @Test
        void books_each_volume_its_own_data() {
            assumeTrue(has(Capability.SPACE_ACCOUNTING), "the pool does not declare space accounting");
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            Volume big = origin();
            commit(big, 0, random(DATA, 90));
            Volume small = origin();
            commit(small, 0, random(DATA / 4, 91));
            Map<String, SpaceUse> space = pool.volumeSpace();
            assertThat(space).containsKeys(big.vid(), small.vid());
            assertThat(space.get(big.vid()).allocated()).as("allocated for 1 MiB of data").isGreaterThanOrEqualTo(DATA);
            assertThat(space.get(big.vid()).exclusive()).as("nothing shares a volume's own data").isGreaterThanOrEqualTo(DATA);
            assertThat(space.get(small.vid()).allocated()).as("a volume with a quarter of the data")
                    .isGreaterThanOrEqualTo(DATA / 4).isLessThan(space.get(big.vid()).allocated());
        }

        @Test
        void books_what_a_cheap_clone_shares_as_shared_until_it_is_removed() {
            assumeTrue(has(Capability.SPACE_ACCOUNTING), "the pool does not declare space accounting");
            assumeTrue(has(Capability.CHEAP_CLONE) || has(Capability.LAYERS), "clones copy their data here");
            Volume src = origin(newDomain(true), "root");
            commit(src, 0, random(DATA, 92));
            Volume clone = origin(newDomain(true), "root");
            locked(clone, () -> {
                clone.importVolume(src);
                return null;
            });
            SpaceUse shared = pool.volumeSpace().get(src.vid());
            assertThat(shared.shared()).as("the source's data the clone also references").isGreaterThanOrEqualTo(DATA / 2);
            remove(clone);
            SpaceUse alone = pool.volumeSpace().get(src.vid());
            assertThat(alone.exclusive()).as("exclusive again once the clone is gone").isGreaterThanOrEqualTo(DATA);
        }

        @Test
        void dedup_files_are_refused_where_not_declared() {
            assumeFalse(has(Capability.DEDUPLICATION), "the pool declares deduplication");
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            Volume v = origin();
            commit(v, 0, random(65536, 93));
            assertCode(() -> locked(v, v::dedupFiles), ErrorCode.NOT_SUPPORTED);
        }

        @Test
        void dedup_files_are_regular_files_of_a_stopped_volume_only() {
            assumeTrue(has(Capability.DEDUPLICATION), "the pool does not declare deduplication");
            Volume v = origin();
            commit(v, 0, random(65536, 94));
            List<Path> files = locked(v, v::dedupFiles);
            assertThat(files).isNotEmpty().allMatch(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS));
            start(v);
            assertCode(() -> locked(v, v::dedupFiles), ErrorCode.BUSY);
            stop(v);
        }
    }

    @Nested
    @DisplayName("Duplicate reports")
    class DuplicateReports {
        private static final int BLOCK = 4096;

        @Test
        void stored_data_is_refused_where_not_declared() {
            assumeFalse(has(Capability.DUPLICATE_REPORT), "the pool declares duplicate reports");
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            Volume v = origin();
            commit(v, 0, random(65536, 95));
            assertCode(() -> locked(v, v::storedData), ErrorCode.NOT_SUPPORTED);
        }

        @Test
        void stored_data_holds_every_block_written_to_a_stopped_volume_and_its_revisions() throws IOException {
            assumeTrue(has(Capability.DUPLICATE_REPORT), "the pool does not declare duplicate reports");
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            Volume v = origin();
            byte[] first = random(16 * BLOCK, 96);
            byte[] second = random(8 * BLOCK, 97);
            commit(v, 0, first);
            commit(v, 1 << 20, second);
            Set<ByteBuffer> stored = new HashSet<>();
            for (StoredData d : locked(v, v::storedData)) {
                stored.addAll(blocks(d));
            }
            assertThat(stored).as("blocks of the first commit").containsAll(split(first));
            assertThat(stored).as("blocks of the second commit").containsAll(split(second));
        }

        @Test
        void stored_data_of_a_running_volume_is_refused() {
            assumeTrue(has(Capability.DUPLICATE_REPORT), "the pool does not declare duplicate reports");
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            Volume v = origin();
            commit(v, 0, random(65536, 98));
            start(v);
            assertCode(() -> locked(v, v::storedData), ErrorCode.BUSY);
            stop(v);
            assertThat(locked(v, v::storedData)).as("stopped again").isNotEmpty();
        }

        /** The 4 KiB blocks of {@code d}'s extents, which must lie within its path. */
        private static List<ByteBuffer> blocks(StoredData d) throws IOException {
            List<ByteBuffer> out = new ArrayList<>();
            try (FileChannel ch = FileChannel.open(d.path(), StandardOpenOption.READ)) {
                long size = Math.ceilDiv(ch.size(), 512) * 512;
                List<StoredData.Extent> extents = d.extents().isPresent() ? d.extents().get()
                        : size == 0 ? List.of() : List.of(new StoredData.Extent(0, size, StoredData.Extent.OWN));
                for (StoredData.Extent e : extents) {
                    for (long at = e.offset(); at + BLOCK <= e.offset() + e.length(); at += BLOCK) {
                        ByteBuffer b = ByteBuffer.allocate(BLOCK);
                        while (b.hasRemaining()) {
                            if (ch.read(b, at + b.position()) < 0) {
                                throw new AssertionError("extent " + e + " ends past the end of " + d.path());
                            }
                        }
                        out.add(b.flip());
                    }
                }
            }
            return out;
        }

        private static List<ByteBuffer> split(byte[] data) {
            List<ByteBuffer> out = new ArrayList<>();
            for (int at = 0; at < data.length; at += BLOCK) {
                out.add(ByteBuffer.wrap(data, at, BLOCK).slice());
            }
            return out;
        }
    }

    @Nested
    @DisplayName("Crash recovery")
    class CrashRecovery {
        @Test
        void resumes_the_uncommitted_state_when_started_again_without_a_stop() {
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            DomainRef d = newDomain(false);
            Volume v = origin(d, "private");
            byte[] committed = random(65536, 70);
            commit(v, 0, committed);
            start(v);
            byte[] uncommitted = random(65536, 71);
            write(v, 0, uncommitted);
            // The host crashed: a new process makes a new pool and volume object for the same vid.
            Pool again = reload();
            Volume v2 = again.initVolume(VolumeSpec.origin(d, "private", volumeSize()).withVid(v.vid()));
            assertThat(v2.isDirty()).isTrue();
            start(v2);
            assertThat(read(v2, 0, uncommitted.length)).isEqualTo(uncommitted);
            stop(v2);
            assertThat(exported(v2, 0, uncommitted.length)).isEqualTo(uncommitted);
        }
    }

    /**
     * A new pool object over the same storage, as after a restart of the host. Drivers whose pools
     * cannot be made twice override this.
     */
    protected Pool reload() {
        try {
            return createPool(scratch);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Nested
    @DisplayName("Resizing")
    class Resizing {
        @Test
        void grows_and_keeps_data() {
            assumeTrue(has(Capability.GROW), "the pool does not declare growing");
            Volume v = origin();
            byte[] data = random(65536, 80);
            commit(v, 0, data);
            locked(v, () -> {
                v.resize(volumeSize() * 2);
                return null;
            });
            assertThat(v.size()).isEqualTo(volumeSize() * 2);
            start(v);
            assertThat(read(v, 0, data.length)).isEqualTo(data);
            write(v, volumeSize() * 2 - 4096, random(4096, 81));
            stop(v);
        }

        @Test
        void grows_a_running_volume() {
            assumeTrue(has(Capability.GROW), "the pool does not declare growing");
            Volume v = origin();
            start(v);
            locked(v, () -> {
                v.resize(volumeSize() * 2);
                return null;
            });
            assertThat(v.size()).isEqualTo(volumeSize() * 2);
            byte[] tail = random(4096, 82);
            write(v, volumeSize() * 2 - 4096, tail);
            stop(v);
            assertThat(v.size()).isEqualTo(volumeSize() * 2);
            assertThat(exported(v, volumeSize() * 2 - 4096, 4096)).isEqualTo(tail);
        }

        @Test
        void shrinks_where_declared() {
            assumeTrue(has(Capability.SHRINK), "the pool does not declare shrinking");
            Volume v = origin();
            byte[] data = random(4096, 83);
            commit(v, 0, data);
            locked(v, () -> {
                v.resize(volumeSize() / 2);
                return null;
            });
            assertThat(v.size()).isEqualTo(volumeSize() / 2);
            assertThat(exported(v, 0, data.length)).isEqualTo(data);
        }

        @Test
        void refuses_to_shrink_where_not_declared() {
            assumeFalse(has(Capability.SHRINK), "the pool declares shrinking");
            assumeTrue(has(Capability.ORIGIN_VOLUMES) && has(Capability.GROW), "needs resizable origin volumes");
            Volume v = origin();
            assertCode(() -> locked(v, () -> {
                v.resize(volumeSize() / 2);
                return null;
            }), ErrorCode.NOT_SUPPORTED);
        }
    }

    @Nested
    @DisplayName("Export")
    class Export {
        @Test
        void of_a_running_volume_returns_the_pre_start_data() {
            assumeTrue(has(Capability.EXPORT_WHILE_RUNNING), "the pool does not declare export while running");
            Volume v = origin();
            byte[] committed = random(65536, 90);
            commit(v, 0, committed);
            start(v);
            write(v, 0, random(65536, 91));
            assertThat(exported(v, 0, committed.length)).isEqualTo(committed);
            stop(v);
        }

        @Test
        void of_a_running_volume_is_refused_where_not_declared() {
            assumeFalse(has(Capability.EXPORT_WHILE_RUNNING), "the pool declares export while running");
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            Volume v = origin();
            start(v);
            assertThatThrownBy(v::export).isInstanceOf(StorageException.class);
            stop(v);
        }

        @Test
        void is_not_offered_for_volatile_volumes() {
            assumeTrue(has(Capability.VOLATILE_VOLUMES), "needs volatile volumes");
            Volume v = volatileVolume();
            assertCode(v::export, ErrorCode.NOT_SUPPORTED);
        }
    }

    @Nested
    @DisplayName("Concurrency")
    class Concurrency {
        @Test
        void starts_and_stops_different_volumes_in_parallel() throws Exception {
            assumeTrue(has(Capability.ORIGIN_VOLUMES), "needs origin volumes");
            List<Volume> vols = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                vols.add(origin());
            }
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> fs = new ArrayList<>();
                for (int i = 0; i < vols.size(); i++) {
                    Volume v = vols.get(i);
                    byte[] data = random(65536, 100 + i);
                    fs.add(ex.submit(() -> {
                        start(v);
                        write(v, 0, data);
                        stop(v);
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get();
                }
            }
            for (int i = 0; i < vols.size(); i++) {
                assertThat(exported(vols.get(i), 0, 65536)).isEqualTo(random(65536, 100 + i));
            }
        }
    }

    @Nested
    @DisplayName("The pool")
    class ThePool {
        @Test
        void reports_usage_no_larger_than_size() {
            assertThat(pool.size()).isPresent();
            assertThat(pool.usage()).isPresent();
            assertThat(pool.usage().getAsLong()).isBetween(0L, pool.size().getAsLong());
            assertThat(pool.usageDetails()).containsKeys("data_size", "data_usage");
        }

        @Test
        void describes_itself_with_name_and_driver() {
            assertThat(pool.config()).containsEntry("name", pool.name()).containsEntry("driver", pool.driverName());
        }

        @Test
        void rejects_revisions_to_keep_below_minus_one() {
            assertCode(() -> pool.setRevisionsToKeep(-2), ErrorCode.INVALID_ARGUMENT);
        }
    }
}
