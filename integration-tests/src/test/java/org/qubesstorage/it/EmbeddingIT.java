package org.qubesstorage.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Guice;
import com.google.inject.Injector;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.facade.DomainStorage;
import org.qubesstorage.facade.StorageHost;
import org.qubesstorage.host.PoolRegistry;
import org.qubesstorage.wiring.StorageModule;
import org.qubesstorage.host.StorageSettings;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.VolumeSpec;
import org.qubesstorage.xml.DomainEntry;

/**
 * A host application embedding the library: a Guice injector with {@link StorageModule}, pools and
 * domains from a {@code qubes.xml}, and a template, an AppVM and a DispVM started and stopped through
 * the facade, with real image files on disk.
 */
@DisplayName("Embedding: Guice, qubes.xml, and a domain's volumes")
class EmbeddingIT {
    @TempDir
    Path dir;

    private StorageHost host;
    private PoolRegistry pools;

    private static final long MIB = 1 << 20;

    @BeforeEach
    void boot() throws Exception {
        Path data = Files.createDirectories(dir.resolve("var-lib-qubes"));
        String xml = """
                <?xml version='1.0' encoding='UTF-8'?>
                <qubes>
                  <pools>
                    <pool name="varlibqubes" dir_path="%s" driver="file-reflink" revisions_to_keep="1" ephemeral_volatile="False"/>
                    <pool name="vm-pool" volume_group="qubes_dom0" thin_pool="vm-pool" driver="lvm_thin"/>
                  </pools>
                  <properties>
                    <property name="default_pool">varlibqubes</property>
                  </properties>
                  <domains>
                    <domain id="domain-1" class="TemplateVM">
                      <properties><property name="name">tpl</property><property name="qid">1</property></properties>
                      <volume-config>
                        <volume name="root" pool="varlibqubes" vid="vm-templates/tpl/root" revisions_to_keep="1" rw="True" save_on_stop="True" snap_on_start="False" size="%d"/>
                        <volume name="private" pool="varlibqubes" vid="vm-templates/tpl/private" revisions_to_keep="1" rw="True" save_on_stop="True" snap_on_start="False" size="%d"/>
                        <volume name="volatile" pool="varlibqubes" vid="vm-templates/tpl/volatile" revisions_to_keep="0" rw="True" save_on_stop="False" snap_on_start="False" size="%d"/>
                      </volume-config>
                    </domain>
                    <domain id="domain-2" class="AppVM">
                      <properties><property name="name">work</property><property name="qid">2</property><property name="template">tpl</property></properties>
                      <volume-config>
                        <volume name="root" rw="True" save_on_stop="False" snap_on_start="True"/>
                        <volume name="private" vid="appvms/work/private" revisions_to_keep="2" rw="True" save_on_stop="True" snap_on_start="False" size="%d"/>
                        <volume name="volatile" vid="appvms/work/volatile" rw="True" size="%d"/>
                      </volume-config>
                    </domain>
                    <domain id="domain-3" class="DispVM">
                      <properties><property name="name">disp1</property><property name="qid">3</property><property name="template">work</property></properties>
                      <volume-config>
                        <volume name="root" vid="appvms/disp1/root"/>
                        <volume name="private" vid="appvms/disp1/private"/>
                        <volume name="volatile" vid="appvms/disp1/volatile" size="%d"/>
                      </volume-config>
                    </domain>
                  </domains>
                </qubes>
                """.formatted(data, 32 * MIB, 16 * MIB, 16 * MIB, 16 * MIB, 16 * MIB, 16 * MIB);
        Path qubesXml = Files.writeString(dir.resolve("qubes.xml"), xml);
        Injector injector = Guice.createInjector(new StorageModule(
                new StorageSettings(qubesXml, Optional.empty(), dir.resolve("run"))));
        host = injector.getInstance(StorageHost.class);
        pools = injector.getInstance(PoolRegistry.class);
        for (String d : new String[] {"tpl", "work", "disp1"}) {
            host.domain(d).create();
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void write(BlockDevice dev, long offset, byte[] data) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(dev.path().toFile(), "rw")) {
            raf.seek(offset);
            raf.write(data);
        }
    }

    private static byte[] read(BlockDevice dev, long offset, int n) throws Exception {
        byte[] b = new byte[n];
        try (RandomAccessFile raf = new RandomAccessFile(dev.path().toFile(), "r")) {
            raf.seek(offset);
            raf.readFully(b);
        }
        return b;
    }

    private static BlockDevice device(DomainStorage d, String volume) {
        return d.blockDevices().stream().filter(b -> b.name().equals(volume)).findFirst().orElseThrow();
    }

    @Test
    @DisplayName("pools come from qubes.xml; one whose driver is missing is reported and left out")
    void pools() {
        assertThat(pools.find("varlibqubes")).isPresent();
        assertThat(pools.find("vm-pool")).isEmpty();
        assertThat(pools.problems()).singleElement().asString().contains("vm-pool", "No driver lvm_thin");
    }

    @Test
    @DisplayName("a template, an AppVM and a DispVM start and stop, each seeing what it should")
    void startAndStop() throws Exception {
        DomainStorage tpl = host.domain("tpl");
        DomainStorage work = host.domain("work");
        DomainStorage disp = host.domain("disp1");
        byte[] rootData = random(65536, 1);
        byte[] privateData = random(65536, 2);

        tpl.start();
        write(device(tpl, "root"), 0, rootData);
        tpl.stop();

        // The AppVM's root has no recorded source: it is resolved through the template, in its pool.
        assertThat(work.volume("root").source().orElseThrow().vid()).isEqualTo("vm-templates/tpl/root");
        assertThat(work.volume("root").config().size()).isEqualTo(32 * MIB);
        work.start();
        // kernel is not recorded: it is the class's default volume, in default_pool_kernel's fallback
        // (default_pool), as upstream's QubesVM.__init__ merges it in.
        assertThat(work.blockDevices()).extracting(BlockDevice::name).containsExactly("root", "private", "volatile", "kernel");
        assertThat(work.volume("kernel").config().rw()).isFalse();
        assertThat(read(device(work, "root"), 0, rootData.length)).isEqualTo(rootData);
        write(device(work, "private"), 0, privateData);
        work.stop();

        // The DispVM's root resolves DispVM -> AppVM -> TemplateVM; its private snapshots the AppVM's.
        assertThat(disp.volume("root").source().orElseThrow().vid()).isEqualTo("vm-templates/tpl/root");
        assertThat(disp.volume("private").source().orElseThrow().vid()).isEqualTo("appvms/work/private");
        disp.start();
        assertThat(read(device(disp, "root"), 0, rootData.length)).isEqualTo(rootData);
        assertThat(read(device(disp, "private"), 0, privateData.length)).isEqualTo(privateData);
        assertThat(read(device(disp, "volatile"), 0, 4096)).containsOnly(0);
        disp.stop();
        disp.verify();
    }

    @Test
    @DisplayName("if one volume fails to start, the others are stopped again and the first error is reported")
    void failedStartRollsBack() throws Exception {
        DomainStorage work = host.domain("work");
        Files.delete(Path.of(pools.get("varlibqubes").config().get("dir_path"), "vm-templates/tpl/root.img"));
        assertThatThrownBy(work::start).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(work.volume("private").isDirty()).as("private was started, then stopped again").isFalse();
        assertThat(host.running().isRunning(work.volume("private"))).isFalse();
    }

    @Test
    @DisplayName("a running AppVM's root is outdated once its template commits")
    void outdated() {
        DomainStorage work = host.domain("work");
        work.start();
        assertThat(work.outdatedVolumes()).isEmpty();
        host.domain("tpl").start();
        host.domain("tpl").stop();
        assertThat(work.outdatedVolumes()).extracting(v -> v.name()).containsExactly("root");
        work.stop();
        assertThat(work.outdatedVolumes()).isEmpty();
    }

    @Test
    @DisplayName("cloning a domain copies its origin volumes' data")
    void cloneDomain() throws Exception {
        DomainStorage work = host.domain("work");
        byte[] privateData = random(65536, 3);
        work.start();
        write(device(work, "private"), 4096, privateData);
        work.stop();
        Pool pool = pools.get("varlibqubes");
        DomainRef ref = new DomainRef("work-clone", false);
        DomainEntry entry = new DomainEntry("domain-9", "AppVM", "work-clone", Optional.of(9), Optional.of("tpl"),
                Map.of(), Map.of(), Optional.empty(), Map.of());
        Map<String, Map.Entry<Pool, VolumeSpec>> specs = new LinkedHashMap<>();
        specs.put("private", new AbstractMap.SimpleEntry<>(pool, VolumeSpec.origin(ref, "private", 16 * MIB)));
        DomainStorage clone = DomainStorage.init(entry, specs, host.running());
        clone.cloneFrom(work);
        clone.start();
        assertThat(read(device(clone, "private"), 4096, privateData.length)).isEqualTo(privateData);
        clone.stop();
        clone.remove();
    }
}
