package org.qubesstorage.file.reflink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.xml.QubesXmlFile;
import org.qubesstorage.wiring.Bootstrap;
import org.qubesstorage.facade.DomainStorage;
import org.qubesstorage.facade.RunningState;
import org.qubesstorage.facade.StorageHost;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.Revision;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.tck.ScratchFileSystem;

/**
 * A {@code /var/lib/qubes} built by hand exactly as upstream's Python driver leaves it, including a
 * crash (a dirty image), a stale precache and a temporary file of an interrupted copy, on a real
 * btrfs: the driver must use it in place.
 */
@DisplayName("file-reflink on an existing upstream /var/lib/qubes")
class UpstreamTreeIT {
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    private ScratchFileSystem fs;
    private Path root;
    private StorageHost host;

    private static byte[] pattern(long seed) {
        byte[] b = new byte[65536];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void image(Path p, long size, byte[] dataAt0) throws Exception {
        Files.createDirectories(p.getParent());
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(size);
            raf.write(dataAt0);
        }
    }

    private static byte[] read(Path p) throws Exception {
        byte[] b = new byte[65536];
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "r")) {
            raf.readFully(b);
        }
        return b;
    }

    @BeforeEach
    void buildTree() throws Exception {
        fs = ScratchFileSystem.create("btrfs", 1L << 30, Path.of("target", "scratch-fs").toAbsolutePath());
        root = fs.mountPoint().resolve("var-lib-qubes");
        Path tpl = root.resolve("vm-templates/fedora");
        image(tpl.resolve("root.img"), 32 * MIB, pattern(1));
        Files.setLastModifiedTime(tpl.resolve("root.img"), FileTime.from(Instant.parse("2025-01-02T03:04:05Z")));
        image(tpl.resolve("root.img.1@2024-05-01T10:00:00Z"), 32 * MIB, pattern(2));
        image(tpl.resolve("root-precache.img"), 32 * MIB, pattern(3)); // stale: other mtime and data
        image(tpl.resolve("root.img~a1b2c3"), 32 * MIB, pattern(4)); // an interrupted copy
        image(tpl.resolve("private.img"), 16 * MIB, pattern(5));
        Path work = root.resolve("appvms/work");
        image(work.resolve("private.img"), 16 * MIB, pattern(6));
        image(work.resolve("private.img.3@2024-06-01T00:00:00Z"), 16 * MIB, pattern(7));
        image(work.resolve("private-dirty.img"), 16 * MIB, pattern(8)); // the qube was running at a power cut
        String xml = """
                <qubes>
                  <pools>
                    <pool name="varlibqubes" dir_path="%s" driver="file-reflink" revisions_to_keep="1" ephemeral_volatile="False"/>
                  </pools>
                  <properties><property name="default_pool">varlibqubes</property></properties>
                  <domains>
                    <domain id="domain-1" class="TemplateVM">
                      <properties><property name="name">fedora</property></properties>
                      <volume-config>
                        <volume name="root" pool="varlibqubes" vid="vm-templates/fedora/root" revisions_to_keep="1" rw="True" save_on_stop="True" snap_on_start="False" size="%d"/>
                        <volume name="private" pool="varlibqubes" vid="vm-templates/fedora/private" revisions_to_keep="1" rw="True" save_on_stop="True" snap_on_start="False" size="%d"/>
                      </volume-config>
                    </domain>
                    <domain id="domain-2" class="AppVM">
                      <properties><property name="name">work</property><property name="template">fedora</property></properties>
                      <volume-config>
                        <volume name="root" pool="varlibqubes" vid="appvms/work/root" revisions_to_keep="0" rw="True" save_on_stop="False" snap_on_start="True" size="%d" source="vm-templates/fedora/root"/>
                        <volume name="private" pool="varlibqubes" vid="appvms/work/private" revisions_to_keep="2" rw="True" save_on_stop="True" snap_on_start="False" size="%d"/>
                        <volume name="volatile" pool="varlibqubes" vid="appvms/work/volatile" revisions_to_keep="0" rw="True" save_on_stop="False" snap_on_start="False" size="%d"/>
                      </volume-config>
                    </domain>
                  </domains>
                </qubes>
                """.formatted(root, 32 * MIB, 16 * MIB, 32 * MIB, 16 * MIB, 16 * MIB);
        Path file = Files.writeString(tmp.resolve("qubes.xml"), xml);
        host = Bootstrap.load(QubesXmlFile.load(file), DriverRegistry.fromClassPath(), HostDriverContext.system())
                .host(new RunningState(tmp.resolve("run")));
    }

    @AfterEach
    void unmount() throws Exception {
        if (fs != null) {
            fs.close();
        }
    }

    private static Path dev(DomainStorage d, String name) {
        return d.blockDevices().stream().filter(b -> b.name().equals(name)).map(BlockDevice::path).findFirst().orElseThrow();
    }

    @Test
    @DisplayName("a dirty private volume resumes its uncommitted state and commits it at stop")
    void crashedPrivate() throws Exception {
        DomainStorage work = host.domain("work");
        Volume priv = work.volume("private");
        assertThat(priv.isDirty()).isTrue();
        assertThat(priv.revisions()).extracting(Revision::id).containsExactly("3");
        work.start();
        assertThat(read(dev(work, "private"))).as("the data written before the crash").isEqualTo(pattern(8));
        assertThat(read(dev(work, "root"))).as("the template's committed root").isEqualTo(pattern(1));
        work.stop();
        assertThat(priv.isDirty()).isFalse();
        assertThat(read(root.resolve("appvms/work/private.img"))).isEqualTo(pattern(8));
        assertThat(priv.revisions()).extracting(Revision::id).containsExactly("3", "4");
        String revision4;
        try (var files = Files.list(root.resolve("appvms/work"))) {
            revision4 = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("private.img.4@"))
                    .findFirst().orElseThrow();
        }
        assertThat(read(root.resolve("appvms/work").resolve(revision4))).as("the old clean image, now revision 4")
                .isEqualTo(pattern(6));
    }

    @Test
    @DisplayName("a stale precache and leftover temporary files are dropped; the template starts from its clean image")
    void stalePrecache() throws Exception {
        DomainStorage tpl = host.domain("fedora");
        tpl.start();
        assertThat(read(dev(tpl, "root"))).isEqualTo(pattern(1));
        assertThat(root.resolve("vm-templates/fedora/root.img~a1b2c3")).doesNotExist();
        assertThat(root.resolve("vm-templates/fedora/root-precache.img")).doesNotExist();
        tpl.stop();
        // After the commit the clean image became revision 2, the old revision 1 was pruned (keep 1),
        // and a fresh precache with the clean image's mtime is ready for the next start.
        assertThat(tpl.volume("root").revisions()).extracting(Revision::id).containsExactly("2");
        Path pre = root.resolve("vm-templates/fedora/root-precache.img");
        assertThat(pre).exists();
        assertThat(Files.getLastModifiedTime(pre)).isEqualTo(Files.getLastModifiedTime(root.resolve("vm-templates/fedora/root.img")));
    }

    @Test
    @DisplayName("an upstream revision can be reverted to, keeping the current state as a new revision")
    void revertUpstreamRevision() throws Exception {
        Volume tplRoot = host.domain("fedora").volume("root");
        tplRoot.lock().lock();
        try {
            tplRoot.revert("1");
        } finally {
            tplRoot.lock().unlock();
        }
        assertThat(read(root.resolve("vm-templates/fedora/root.img"))).isEqualTo(pattern(2));
        assertThat(tplRoot.revisions()).hasSize(1);
        assertThat(tplRoot.revisions().getFirst().created()).isEqualTo(Instant.parse("2025-01-02T03:04:05Z"));
    }
}
