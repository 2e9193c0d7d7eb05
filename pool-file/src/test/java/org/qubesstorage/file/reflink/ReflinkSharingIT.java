package org.qubesstorage.file.reflink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.tck.ScratchFileSystem;

/**
 * Reflink must really share extents, not only produce equal data: on btrfs and xfs starting,
 * committing and cloning a volume with 64 MiB of data grows the used space by almost nothing; on
 * ext4 (no reflink) the same start costs a full copy.
 */
@DisplayName("file-reflink shares extents instead of copying")
class ReflinkSharingIT {
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    private static void lockedRun(Volume v, Runnable r) {
        v.lock().lock();
        try {
            r.run();
        } finally {
            v.lock().unlock();
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"btrfs", "xfs", "ext4"})
    void startCommitAndClone(String type) throws Exception {
        try (ScratchFileSystem fs = ScratchFileSystem.create(type, 1L << 30, Path.of("target", "scratch-fs").toAbsolutePath())) {
            Pool pool = new ReflinkDriver().create(new PoolConfig("p", ReflinkDriver.NAME,
                    Map.of("dir_path", fs.mountPoint().resolve("pool").toString(), "setup_check", "False")),
                    new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), tmp));
            pool.setup();
            Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef("work", false), "private", 128 * MIB));
            lockedRun(v, v::create);
            lockedRun(v, v::start);
            byte[] data = new byte[(int) (64 * MIB)];
            new Random(1).nextBytes(data);
            try (RandomAccessFile raf = new RandomAccessFile(v.blockDevice().orElseThrow().path().toFile(), "rw")) {
                raf.write(data);
                raf.getFD().sync();
            }
            lockedRun(v, v::stop);
            long before = fs.usedBytes();
            lockedRun(v, v::start);
            lockedRun(v, v::stop);
            Volume clone = pool.initVolume(VolumeSpec.origin(new DomainRef("clone", false), "private", 128 * MIB));
            lockedRun(clone, clone::create);
            lockedRun(clone, () -> clone.importVolume(v));
            long grown = fs.usedBytes() - before;
            boolean reflink = !type.equals("ext4");
            if (reflink) {
                assertThat(grown).as("growth on %s for a start, a commit and a clone of 64 MiB", type).isLessThan(8 * MIB);
            } else {
                assertThat(grown).as("growth on ext4, where the clone is a real copy").isGreaterThanOrEqualTo(60 * MIB);
            }
        }
    }
}
