package org.qubesstorage.file.legacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/**
 * The {@code file} driver's logic and exact device-mapper tables, with real image files and a
 * recording backend in place of the kernel (this kernel has no device-mapper).
 */
@DisplayName("The file driver")
class FileDriverTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private RecordingDeviceMapper kernel;
    private FilePool pool;
    private Path mapper;

    @BeforeEach
    void pool() throws Exception {
        mapper = Files.createDirectories(dir.resolve("mapper"));
        kernel = new RecordingDeviceMapper(mapper);
        pool = new FilePool(new PoolConfig("file", "file", Map.of("dir_path", dir.resolve("qubes").toString())),
                new DeviceMapper(kernel, FilePool.DM_NAMES));
        pool.setup();
    }


    private FileVolume origin(String vm, boolean template) {
        Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef(vm, template), template ? "root" : "private", 16 * MIB));
        Locked.run(v, v::create);
        return (FileVolume) v;
    }

    @Test
    @DisplayName("keeps upstream's layout and declares no revert, export-while-running or more than one revision")
    void layoutAndCapabilities() {
        FileVolume v = origin("work", false);
        assertThat(v.image()).isEqualTo(dir.resolve("qubes/appvms/work/private.img"));
        assertThat(v.cow()).isEqualTo(dir.resolve("qubes/appvms/work/private-cow.img"));
        assertThat(pool.capabilities()).doesNotContain(Capability.REVERT, Capability.EXPORT_WHILE_RUNNING,
                Capability.CHEAP_CLONE, Capability.ORIGIN_SNAPSHOT_VOLUMES);
        assertThatThrownBy(() -> pool.setRevisionsToKeep(2)).hasMessageContaining("maximum 1 volume revision");
        assertThatThrownBy(() -> Locked.run(v, () -> v.revert("old"))).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_SUPPORTED));
    }

    @Test
    @DisplayName("starts an origin volume as snapshot-origin plus a persistent snapshot, with exact command lines")
    void startOrigin() {
        FileVolume v = origin("work", false);
        Locked.run(v, v::start);
        String img = FileIdentity.of(v.image());
        String cow = FileIdentity.of(v.cow());
        long sectors = 16 * MIB / 512;
        assertThat(kernel.lines).containsExactly(
                "loop " + v.image(),
                "loop " + v.cow(),
                "create snapshot-" + img + "-" + cow + " 0 " + sectors + " snapshot /dev/loop0 /dev/loop1 P 256",
                "create origin-" + img + " 0 " + sectors + " snapshot-origin /dev/loop0");
        assertThat(v.blockDevice().orElseThrow().path()).isEqualTo(mapper.resolve("origin-" + img));
        assertThatThrownBy(v::export).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.BUSY));
    }

    @Test
    @DisplayName("stop removes the devices, keeps the pre-start COW as the one revision and starts an empty one")
    void stopCommits() throws Exception {
        FileVolume v = origin("work", false);
        Locked.run(v, v::start);
        // What dm-snapshot would have written: a header and one exception.
        writeCow(v.cow(), true);
        assertThat(v.isDirty()).isTrue();
        kernel.lines.clear();
        Locked.run(v, v::stop);
        assertThat(kernel.lines).startsWith("remove origin-" + FileIdentity.of(v.image()));
        assertThat(kernel.lines).anyMatch(l -> l.startsWith("remove snapshot-"));
        assertThat(v.isDirty()).isFalse();
        assertThat(v.oldCow()).exists();
        assertThat(v.revisions()).singleElement().satisfies(r -> assertThat(r.id()).isEqualTo("old"));
        assertThat(mapper).isEmptyDirectory();
    }

    @Test
    @DisplayName("a crashed origin (COW with exceptions) is dirty, cannot be exported, and keeps its COW at the next start")
    void crash() throws Exception {
        FileVolume v = origin("work", false);
        writeCow(v.cow(), true);
        assertThat(v.isDirty()).isTrue();
        assertThatThrownBy(v::export).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.DIRTY));
        byte[] before = Files.readAllBytes(v.cow());
        Locked.run(v, v::start);
        assertThat(Files.readAllBytes(v.cow())).isEqualTo(before);
    }

    @Test
    @DisplayName("an empty dm-snapshot header is not dirty; anything else in the COW is")
    void dirtyDetection() throws Exception {
        FileVolume v = origin("work", false);
        Files.createFile(v.cow());
        assertThat(v.isDirty()).as("empty file").isFalse();
        writeCow(v.cow(), false);
        assertThat(v.isDirty()).as("header only").isFalse();
        writeCow(v.cow(), true);
        assertThat(v.isDirty()).as("header and an exception").isTrue();
    }

    @Test
    @DisplayName("an AppVM root stacks its snapshot on the template's snapshot device")
    void snapshotVolume() {
        FileVolume tpl = origin("fedora", true);
        Volume root = pool.initVolume(VolumeSpec.snapshot(new DomainRef("work", false), "root", tpl, true));
        Locked.run(root, root::create);
        Locked.run(root, root::start);
        FileVolume r = (FileVolume) root;
        String tplSnap = "snapshot-" + FileIdentity.of(tpl.image()) + "-" + FileIdentity.of(tpl.cow());
        String stacked = tplSnap + "-" + FileIdentity.of(r.cow());
        assertThat(kernel.lines).contains(
                "create " + tplSnap + " 0 32768 snapshot /dev/loop0 /dev/loop1 P 256",
                "create " + stacked + " 0 32768 snapshot " + mapper.resolve(tplSnap) + " /dev/loop2 P 256");
        assertThat(root.blockDevice().orElseThrow().path()).isEqualTo(mapper.resolve(stacked));
        Locked.run(root, root::stop);
        assertThat(mapper).as("the template is not running: its snapshot device goes too").isEmptyDirectory();
        assertThat(r.cow()).doesNotExist();
    }

    @Test
    @DisplayName("resizing a running origin reloads the snapshot-origin table with the new length")
    void resizeRunning() {
        FileVolume v = origin("work", false);
        Locked.run(v, v::start);
        kernel.lines.clear();
        Locked.run(v, () -> v.resize(32 * MIB));
        assertThat(kernel.lines).containsExactly(
                "reload origin-" + FileIdentity.of(v.image()) + " 0 65536 snapshot-origin /dev/loop0");
        assertThat(v.size()).isEqualTo(32 * MIB);
    }

    @Test
    @DisplayName("export returns the image when stopped, and import replaces it")
    void exportImport() throws Exception {
        FileVolume v = origin("work", false);
        byte[] data = new byte[65536];
        new Random(1).nextBytes(data);
        Path target = v.lock().tryLock() ? v.importData(16 * MIB) : null;
        try (RandomAccessFile raf = new RandomAccessFile(target.toFile(), "rw")) {
            raf.write(data);
        }
        v.importDataEnd(true);
        v.lock().unlock();
        Path exported = v.export();
        try {
            assertThat(exported).isEqualTo(v.image());
            byte[] back = new byte[65536];
            try (RandomAccessFile raf = new RandomAccessFile(exported.toFile(), "r")) {
                raf.readFully(back);
            }
            assertThat(back).isEqualTo(data);
            assertThatThrownBy(() -> Locked.run(v, v::start)).as("started while exported").isInstanceOfSatisfying(
                    StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BUSY));
        } finally {
            v.exportEnd(exported);
        }
    }

    @Test
    @DisplayName("with snapshots disabled the image itself is the device and no device-mapper is used")
    void snapshotsDisabled() {
        Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef("work", false), "private", 16 * MIB).withRevisionsToKeep(-1));
        Locked.run(v, v::create);
        Locked.run(v, v::start);
        assertThat(kernel.lines).isEmpty();
        assertThat(v.blockDevice().orElseThrow().path()).isEqualTo(((FileVolume) v).image());
        Locked.run(v, v::stop);
    }

    @Test
    @DisplayName("device-mapper names are checked before they reach the kernel")
    void names() {
        assertThatThrownBy(() -> new DeviceMapper(kernel, FilePool.DM_NAMES).checkName("--help")).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> new DeviceMapper(kernel, FilePool.DM_NAMES).checkName("origin-1:2 x")).isInstanceOf(StorageException.class);
        assertThat(new DeviceMapper(kernel, FilePool.DM_NAMES).checkName("snapshot-fe01:12-fe01:13")).isEqualTo("snapshot-fe01:12-fe01:13");
    }

    /** Writes a dm-snapshot header, and with {@code exception} one exception entry after it. */
    private static void writeCow(Path cow, boolean exception) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(cow.toFile(), "rw")) {
            raf.setLength(16 * MIB);
            raf.seek(0);
            raf.write(SnapshotHeader.HEADER);
            if (exception) {
                raf.seek(128 * 1024);
                raf.write(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0});
                raf.seek(256 * 1024);
                raf.write(new byte[4096]);
                raf.seek(256 * 1024 + 7);
                raf.write(42);
            }
        }
    }
}
