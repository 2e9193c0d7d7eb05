package org.qubesstorage.file.facade;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assertions;
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
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeType;

/**
 * The facade over files shaped like upstream's test fixtures (written here), with the real
 * file-reflink and linux-kernel drivers on real files, and over hostile images: a link to a file
 * outside the pool, a link to a device, a FIFO. Each test names the upstream behaviour it mirrors.
 */
@DisplayName("The facade on upstream-shaped and hostile installations")
class UpstreamShapesFacadeTest {
    @TempDir
    Path dir;

    private StorageHost host(String xml) {
        Path file;
        try {
            file = Files.writeString(dir.resolve("qubes.xml"), xml.replace("/var/lib/qubes", dir.toString()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return Bootstrap.load(QubesXmlFile.load(file), DriverRegistry.fromClassPath(), HostDriverContext.system())
                .host(new RunningState(dir.resolve("run")));
    }

    /** qubes/tests/app.py's shape: StandaloneVMs without volume-config, no default_pool, a pool named "default". */
    private static final String NO_VOLUME_CONFIG = """
            <?xml version="1.0" encoding="utf-8" ?>
            <qubes version="3.0">
              <properties><property name="default_netvm">sys-net</property><property name="default_kernel">6.1.1</property></properties>
              <labels><label id="label-1" color="#cc0000">red</label></labels>
              <pools>
                <pool driver="file-reflink" dir_path="/var/lib/qubes" name="default"/>
                <pool driver="linux-kernel" dir_path="/var/lib/qubes/vm-kernels" name="linux-kernel"/>
              </pools>
              <domains>
                <domain class="StandaloneVM" id="domain-1">
                  <properties>
                    <property name="qid">1</property><property name="name">sys-net</property>
                    <property name="label" ref="label-1" />
                  </properties>
                  <features/><devices class="pci"/>
                </domain>
              </domains>
            </qubes>
            """;

    @Test
    @DisplayName("a domain without volume-config has its class's default volumes in the default pool (QubesVM.__init__)")
    void classDefaultVolumes() {
        DomainStorage net = host(NO_VOLUME_CONFIG).domain("sys-net");
        assertThat(net.volumes().keySet()).containsExactly("root", "private", "volatile", "kernel");
        assertThat(net.volume("private").vid()).isEqualTo("appvms/sys-net/private");
        assertThat(net.volume("private").pool().name()).isEqualTo("default");
        assertThat(net.volume("root").type()).isEqualTo(VolumeType.ORIGIN);
        assertThat(net.volume("private").config().size()).isEqualTo(2L << 30);
        assertThat(net.volume("kernel").pool().name()).as("default_pool_kernel defaults to default_pool").isEqualTo("default");
    }

    @Test
    @DisplayName("a missing kernel volume in a linux-kernel pool takes the domain's kernel, else default_kernel")
    void kernelFromProperties() {
        String xml = NO_VOLUME_CONFIG.replace("<properties><property name=\"default_netvm\">",
                "<properties><property name=\"default_pool_kernel\">linux-kernel</property><property name=\"default_netvm\">");
        assertThat(host(xml).domain("sys-net").volume("kernel").vid()).isEqualTo("6.1.1");
        String own = xml.replace("<property name=\"name\">sys-net</property>",
                "<property name=\"name\">sys-net</property><property name=\"kernel\">5.15.2</property>");
        assertThat(host(own).domain("sys-net").volume("kernel").vid()).isEqualTo("5.15.2");
    }

    /** qubesadmin/tests/backup/v4-qubes.xml's shape: AppVMs listed before their template, with recorded sources. */
    private static final String APPVM_FIRST = """
            <qubes>
              <pools><pool dir_path="/var/lib/qubes" driver="file-reflink" name="default" revisions_to_keep="1"/></pools>
              <properties><property name="default_template">debian-8</property></properties>
              <domains>
                <domain id="domain-20" class="AppVM">
                  <properties><property name="name">d8</property><property name="qid">20</property>
                    <property name="template">debian-8</property></properties>
                  <volume-config>
                    <volume name="root" pool="default" revisions_to_keep="0" size="10737418240" snap_on_start="True"
                      source="vm-templates/debian-8/root" vid="appvms/d8/root"/>
                    <volume name="private" pool="default" revisions_to_keep="1" rw="True" save_on_stop="True"
                      size="2147483648" vid="appvms/d8/private"/>
                  </volume-config>
                </domain>
                <domain id="domain-21" class="DispVM">
                  <properties><property name="name">disp1</property><property name="qid">21</property>
                    <property name="template">d8</property></properties>
                  <volume-config>
                    <volume name="private" pool="default" snap_on_start="True" source="appvms/d8/private" vid="appvms/disp1/private"/>
                  </volume-config>
                </domain>
                <domain id="domain-0" class="AdminVM"><properties><property name="label">label-8</property></properties></domain>
                <domain id="domain-16" class="TemplateVM">
                  <properties><property name="name">debian-8</property><property name="qid">16</property></properties>
                  <volume-config>
                    <volume name="root" pool="default" revisions_to_keep="1" rw="True" save_on_stop="True"
                      size="10737418240" vid="vm-templates/debian-8/root"/>
                  </volume-config>
                </domain>
              </domains>
            </qubes>
            """;

    @Test
    @DisplayName("domains load in any order: an AppVM and a DispVM listed before their sources' domains (app.py loads all, then resolves)")
    void anyOrder() {
        StorageHost host = host(APPVM_FIRST);
        assertThat(host.all()).hasSize(4);
        assertThat(host.domain("d8").volume("root").source().orElseThrow().vid()).isEqualTo("vm-templates/debian-8/root");
        assertThat(host.domain("disp1").volume("private").source().orElseThrow().vid()).isEqualTo("appvms/d8/private");
        StorageHost reversed = host(APPVM_FIRST);
        assertThat(reversed.domain("disp1").volume("root").source().orElseThrow().vid()).isEqualTo("vm-templates/debian-8/root");
    }

    /** A template whose root image is {@code what}, created by {@code make}. */
    private Volume templateRoot(java.util.function.Consumer<Path> make) throws Exception {
        StorageHost host = host(APPVM_FIRST);
        Path image = dir.resolve("vm-templates/debian-8/root.img");
        Files.createDirectories(image.getParent());
        make.accept(image);
        return host.domain("debian-8").volume("root");
    }

    @Test
    @DisplayName("an image that is a link to a file outside the pool is refused on export, verify, start and usage; nothing is read")
    void linkOutOfPool() throws Exception {
        Path secret = Files.writeString(dir.resolveSibling(dir.getFileName() + "-secret"), "root:$6$hash:19000::::::");
        try {
            Volume root = templateRoot(p -> link(p, secret));
            for (org.junit.jupiter.api.function.Executable call : java.util.List.<org.junit.jupiter.api.function.Executable>of(
                    root::export, root::verify, root::usage)) {
                assertThatThrownBy(call::execute).isInstanceOf(StorageException.class)
                        .hasMessageContaining("symbolic link").extracting(e -> ((StorageException) e).code())
                        .isEqualTo(ErrorCode.INVALID_CONFIGURATION);
            }
            org.qubesstorage.facade.Locked.run(root, () -> assertThatThrownBy(root::start).hasMessageContaining("symbolic link"));
            assertThat(Files.exists(dir.resolve("vm-templates/debian-8/root-dirty.img"))).as("nothing copied from it").isFalse();
        } finally {
            Files.deleteIfExists(secret);
        }
    }

    @Test
    @DisplayName("an image that is a link to a device, or a link inside the pool, is refused too")
    void linkToDevice() throws Exception {
        Volume root = templateRoot(p -> link(p, Path.of("/dev/zero")));
        assertThatThrownBy(root::export).hasMessageContaining("symbolic link");
        Volume inside = templateRoot(p -> {
            try {
                Files.delete(p);
                Files.write(dir.resolve("vm-templates/debian-8/other.img"), new byte[4096]);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            link(p, dir.resolve("vm-templates/debian-8/other.img"));
        });
        assertThatThrownBy(inside::export).hasMessageContaining("symbolic link");
    }

    @Test
    @DisplayName("a FIFO image is refused at once (usage, export, verify): no open blocks")
    void fifo() throws Exception {
        Volume root = templateRoot(p -> run("mkfifo", "--", p.toString()));
        Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertThatThrownBy(root::usage).hasMessageContaining("is a FIFO");
            assertThatThrownBy(root::export).hasMessageContaining("is a FIFO");
            assertThatThrownBy(root::verify).hasMessageContaining("is a FIFO");
        });
    }

    private static void link(Path link, Path target) {
        try {
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, target);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void run(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).inheritIO().start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " failed");
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
