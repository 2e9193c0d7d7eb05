package org.qubesstorage.file.reflink;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/**
 * On-disk states that upstream's Python {@code file-reflink} driver meets after this driver (and
 * the other way round), rebuilt file by file: every one must leave a clean image behind, and no
 * stray file.
 */
@DisplayName("file-reflink states both implementations recover from")
class UpstreamTakeoverTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    private Pool pool() {
        Pool pool = new ReflinkDriver().create(new PoolConfig("p", ReflinkDriver.NAME,
                Map.of("dir_path", tmp.resolve("pool").toString(), "setup_check", "False")),
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), tmp));
        pool.setup();
        return pool;
    }

    private static List<String> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    @DisplayName("starting an already started snapshot volume leaves no <vol>.img~link (rename between links of one inode is a no-op)")
    void restartSnapshotLeavesNoLink() throws Exception {
        Pool pool = pool();
        Volume root = pool.initVolume(VolumeSpec.origin(new DomainRef("tpl", true), "root", 4 * MIB));
        Locked.run(root, root::create);
        Volume snap = pool.initVolume(new VolumeSpec(new DomainRef("work", false), "root", Optional.empty(), true, false, true,
                OptionalInt.empty(), 4 * MIB, Optional.of(root), Optional.empty()));
        Locked.run(snap, snap::start);
        Locked.run(snap, snap::start);
        Path dir = tmp.resolve("pool/appvms/work");
        assertThat(files(dir)).containsExactlyInAnyOrder("root.img", "root-dirty.img");
        Locked.run(snap, snap::stop);
        assertThat(files(dir)).isEmpty();
    }

    @Test
    @DisplayName("a commit keeps a clean image at every instant: killed after its revision link, both recover, with no duplicate revision")
    void commitKilledAfterRevisionLink() throws Exception {
        Pool pool = pool();
        Volume priv = pool.initVolume(VolumeSpec.origin(new DomainRef("work", false), "private", 4 * MIB)
                .withRevisionsToKeep(2));
        Locked.run(priv, priv::create);
        Locked.run(priv, priv::start);
        Locked.run(priv, priv::stop);
        Path dir = tmp.resolve("pool/appvms/work");
        assertThat(files(dir)).as("a clean image after a full commit, the old one kept as a revision")
                .contains("private.img").anyMatch(n -> n.startsWith("private.img.1@"));
        // The state a kill leaves between "revision linked" and "dirty renamed over clean": the
        // clean image, a revision that is the same inode, and the dirty image.
        Locked.run(priv, priv::start);
        Path clean = dir.resolve("private.img");
        String stamp = files(dir).stream().filter(n -> n.startsWith("private.img.1@")).findFirst().orElseThrow()
                .substring("private.img.1".length());
        Files.createLink(dir.resolve("private.img.2" + stamp), clean);
        assertThat(Files.exists(clean)).as("upstream's stop and export need this file").isTrue();

        Volume again = pool.initVolume(VolumeSpec.origin(new DomainRef("work", false), "private", 4 * MIB)
                .withRevisionsToKeep(2));
        Locked.run(again, again::stop);
        assertThat(files(dir)).contains("private.img").filteredOn(n -> n.startsWith("private.img.")).hasSize(2)
                .anyMatch(n -> n.startsWith("private.img.2@")).noneMatch(n -> n.startsWith("private.img.3@"));
        assertThat(files(dir)).noneMatch(n -> n.contains("~") || n.contains("dirty"));
    }
}
