package org.qubesstorage.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.facade.DomainStorage;
import org.qubesstorage.facade.RunningState;
import org.qubesstorage.facade.StorageHost;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.Command;
import org.qubesstorage.wiring.Bootstrap;
import org.qubesstorage.xml.QubesXmlFile;

/**
 * Ephemeral volatile volumes through the facade on each driver (the legacy {@code file} driver's
 * image is a plain file, which cryptsetup attaches through a loop device; the {@code callback}
 * plugin, loaded from its plugin directory, takes the flag from its backend), with real cryptsetup and
 * device-mapper (run inside the VM by {@link ToolsAndPluginsInVmIT}): the domain gets a plain
 * dm-crypt mapping named as upstream names it, its first 64 KiB zeroed; the backing LV or file never
 * holds the plaintext; the mapping is gone after stop; after a crash (the mapping dropped as a reboot
 * drops it) nothing written is readable, and a mapping a crash left behind is replaced at the next start.
 */
@DisplayName("Ephemeral volatile volumes (in the VM)")
public class InVmEphemeral {
    private static final int MIB = 1 << 20;
    private static final byte[] PLAIN = "EPHEMERAL-PLAINTEXT-".repeat(MIB / 20 + 1).substring(0, MIB).getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    /** The callback plugin over file-reflink, the flag set on its backend, where upstream's CallbackPool reads it. */
    @BeforeEach
    void writeCallbackConfig() throws IOException {
        Path callbackConfig = Files.writeString(dir.resolve("qubes_callback.json"), """
                {"eph": {"bdriver": "file-reflink", "bdriver_args": {"dir_path": "%s", "setup_check": false, "ephemeral_volatile": true}}}
                """.formatted(dir.resolve("cb")));
        System.setProperty("qubes.callback.config", callbackConfig.toString());
    }

    private StorageHost host(String pool) throws IOException {
        Files.createDirectories(dir.resolve("reflink"));
        Files.createDirectories(dir.resolve("ov"));
        Files.createDirectories(dir.resolve("file"));
        Files.createDirectories(dir.resolve("cb"));
        Files.createDirectories(dir.resolve("kernels"));
        String xml = """
                <?xml version='1.0' encoding='UTF-8'?>
                <qubes>
                  <pools>
                    <pool name="lvm" driver="lvm_thin" volume_group="qtest" thin_pool="tpool" ephemeral_volatile="True"/>
                    <pool name="reflink" driver="file-reflink" dir_path="%s" setup_check="False"/>
                    <pool name="ov" driver="overlay" dir_path="%s" ephemeral_volatile="True"/>
                    <pool name="file" driver="file" dir_path="%s" ephemeral_volatile="True"/>
                    <pool name="cb" driver="callback" conf_id="eph"/>
                    <pool name="linux-kernel" driver="linux-kernel" dir_path="%s"/>
                  </pools>
                  <properties><property name="default_pool">%s</property><property name="default_pool_kernel">linux-kernel</property></properties>
                  <domains>
                    <domain id="domain-1" class="StandaloneVM">
                      <properties><property name="name">eph-%s</property><property name="qid">1</property></properties>
                      <volume-config>
                        <volume name="root" pool="%s" vid="%s" rw="True" save_on_stop="True" snap_on_start="False" size="%d"/>
                        <volume name="private" pool="%s" vid="%s" rw="True" save_on_stop="True" snap_on_start="False" size="%d"/>
                        <volume name="volatile" pool="%s" vid="%s" rw="True" save_on_stop="False" snap_on_start="False" size="%d"%s/>
                      </volume-config>
                    </domain>
                  </domains>
                </qubes>
                """.formatted(dir.resolve("reflink"), dir.resolve("ov"), dir.resolve("file"), dir.resolve("kernels"), pool, pool,
                pool, vid(pool, "root"), 8 * MIB, pool, vid(pool, "private"), 8 * MIB, pool, vid(pool, "volatile"), 16 * MIB,
                pool.equals("reflink") ? " ephemeral=\"True\"" : "");
        Path file = Files.writeString(dir.resolve("qubes.xml"), xml);
        return Bootstrap.load(QubesXmlFile.load(file), CallbackPlugin.registry(), HostDriverContext.system())
                .host(new RunningState(dir.resolve("run")));
    }

    private static String vid(String pool, String volume) {
        return pool.equals("lvm") ? "qtest/vm-eph-lvm-" + volume : "appvms/eph-" + pool + "/" + volume;
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"lvm", "reflink", "ov", "file", "cb"})
    @DisplayName("the volatile volume runs behind a throw-away key; nothing written survives the mapping")
    void ephemeral(String pool) throws Exception {
        StorageHost host = host(pool);
        DomainStorage ds = host.domain("eph-" + pool);
        ds.create();
        ds.start();
        Path mapping = Path.of("/dev/mapper/vm-volatile-eph_d" + pool + "-crypt@volatile");
        try {
            BlockDevice dev = ds.blockDevices().stream().filter(d -> d.name().equals("volatile")).findFirst().orElseThrow();
            assertThat(dev.path()).isEqualTo(mapping);
            assertThat(read(mapping, 0, 64 << 10)).as("the first 64 KiB are zeroed").containsOnly((byte) 0);
            write(mapping, MIB, PLAIN);
            assertThat(read(mapping, MIB, PLAIN.length)).isEqualTo(PLAIN);
            Path backing = ds.volume("volatile").blockDevice().orElseThrow().path();
            assertThat(contains(backing, Arrays.copyOf(PLAIN, 64))).as("plaintext on " + backing).isFalse();

            // A crash: the process dies; then a reboot drops the mapping and its key.
            run("dmsetup", "remove", "--", mapping.getFileName().toString());
            assertThat(contains(backing, Arrays.copyOf(PLAIN, 64))).as("after the crash, on " + backing).isFalse();

            // A crash without a reboot leaves the mapping: the next start replaces it with a fresh key.
            StorageHost again = host(pool);
            DomainStorage ds2 = again.domain("eph-" + pool);
            ds2.start();
            write(mapping, MIB, PLAIN);
            StorageHost third = host(pool);
            DomainStorage ds3 = third.domain("eph-" + pool);
            ds3.start();
            assertThat(read(mapping, MIB, PLAIN.length)).as("read under a new key").isNotEqualTo(PLAIN);
            ds3.stop();
            assertThat(mapping).as("closed at stop").doesNotExist();
        } finally {
            // Best effort, so that a failure above is the one reported.
            new ExecCommandRunner().run(Command.of("cryptsetup", "close", "--", mapping.getFileName().toString()));
            try {
                ds.remove();
            } catch (RuntimeException e) {
                System.err.println("cleanup: " + e.getMessage());
            }
        }
    }

    private static void run(String... argv) {
        new ExecCommandRunner().run(Command.of(argv)).requireSuccess(String.join(" ", argv));
    }

    private static byte[] read(Path dev, long offset, int n) throws IOException {
        byte[] b = new byte[n];
        try (RandomAccessFile f = new RandomAccessFile(dev.toFile(), "r")) {
            f.seek(offset);
            f.readFully(b);
        }
        return b;
    }

    private static void write(Path dev, long offset, byte[] data) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(dev.toFile(), "rw")) {
            f.seek(offset);
            f.write(data);
            f.getFD().sync();
        }
    }

    /** Whether {@code needle} occurs in {@code file} (read whole, in pieces that overlap by the needle). */
    static boolean contains(Path file, byte[] needle) throws IOException {
        byte[] buf = new byte[4 * MIB + needle.length];
        try (InputStream in = Files.newInputStream(file)) {
            int carry = 0;
            for (int n; (n = in.readNBytes(buf, carry, buf.length - carry)) > 0; ) {
                int len = carry + n;
                for (int i = 0; i + needle.length <= len; i++) {
                    if (Arrays.equals(buf, i, i + needle.length, needle, 0, needle.length)) {
                        return true;
                    }
                }
                carry = Math.min(needle.length - 1, len);
                System.arraycopy(buf, len - carry, buf, 0, carry);
            }
        }
        return false;
    }
}
