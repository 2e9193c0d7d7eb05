package org.qubesstorage.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
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
import org.qubesstorage.host.PoolRegistry;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeType;

/**
 * The facade over an early R4.0 qubes.xml (False booleans omitted, kernel volumes in a
 * linux-kernel pool, an lvm pool whose driver is not here), with the real file and linux-kernel
 * drivers. Initialising volumes touches no disk, so no device-mapper is needed.
 */
@DisplayName("The facade on an early R4.0 qubes.xml")
class EarlyR40FacadeTest {
    @TempDir
    Path dir;

    private StorageHost host;
    private PoolRegistry pools;

    @BeforeEach
    void load() throws Exception {
        String xml = new String(getClass().getResourceAsStream("/qubes-xml/r40-early.xml").readAllBytes())
                .replace("/var/lib/qubes", dir.toString());
        Path kernels = Files.createDirectories(dir.resolve("vm-kernels/4.14.1"));
        Files.write(kernels.resolve("modules.img"), new byte[4096]);
        Files.write(kernels.resolve("vmlinuz"), new byte[16]);
        Files.write(kernels.resolve("initramfs"), new byte[16]);
        Bootstrap storage = Bootstrap.load(QubesXmlFile.load(Files.writeString(dir.resolve("r40.xml"), xml)),
                DriverRegistry.fromClassPath(), HostDriverContext.system());
        pools = storage.pools();
        host = storage.host(new RunningState(dir.resolve("run")));
    }

    @Test
    @DisplayName("missing booleans take the class defaults")
    void classDefaults() {
        DomainStorage app = host.domain("test-d8test");
        Volume root = app.volume("root");
        assertThat(root.type()).isEqualTo(VolumeType.SNAPSHOT);
        assertThat(root.config().rw()).as("AppVM root is rw by default").isTrue();
        assertThat(root.source().orElseThrow().vid()).isEqualTo("vm-templates/debian-8/root");
        assertThat(app.volume("private").type()).isEqualTo(VolumeType.ORIGIN);
        assertThat(app.volume("volatile").type()).isEqualTo(VolumeType.VOLATILE);
        assertThat(host.domain("debian-8").volume("root").type()).isEqualTo(VolumeType.ORIGIN);
    }

    @Test
    @DisplayName("a pool inside another pool's directory is reported as included in it")
    void includedIn() {
        assertThat(pools.get("linux-kernel").includedIn(pools.all())).isEmpty();
        assertThat(pools.get("default").includedIn(pools.all())).isEmpty();
        org.qubesstorage.spi.Pool inner = new org.qubesstorage.file.reflink.ReflinkDriver().create(
                new org.qubesstorage.spi.PoolConfig("inner", "file-reflink", java.util.Map.of("dir_path", dir.resolve("sub").toString())),
                HostDriverContext.system());
        assertThat(inner.includedIn(pools.all())).contains("default");
    }

    @Test
    @DisplayName("a kernel volume with an empty vid has no block device, and the lvm pool is reported as not loaded")
    void kernelAndMissingDriver() {
        Volume kernel = host.domain("test-d8test").volume("kernel");
        assertThat(kernel.pool().driverName()).isEqualTo("linux-kernel");
        assertThat(kernel.blockDevice()).isEmpty();
        assertThat(pools.problems()).singleElement().asString().contains("lvm", "No driver lvm_thin");
        Volume named = pools.get("linux-kernel").getVolume("4.14.1").orElseThrow();
        assertThat(named.blockDevice()).get().extracting(BlockDevice::rw).isEqualTo(false);
        named.verify();
        assertThat(pools.get("linux-kernel").listVolumes()).extracting(Volume::vid).containsExactly("4.14.1");
    }
}
