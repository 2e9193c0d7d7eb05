package org.qubesstorage.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/**
 * A callback pool whose storage lives in a LUKS container: {@code pre_setup} makes and opens it,
 * {@code pre_sinit} opens it again after a "reboot", {@code post_destroy} closes it, as upstream's
 * {@code testing-succ-file-luks} example does. Run inside the VM by {@link ToolsAndPluginsInVmIT}.
 */
@DisplayName("A callback pool in a LUKS container (in the VM)")
public class InVmCallbackLuks {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private static String sh(String... argv) {
        return new ExecCommandRunner().run(Command.of(argv)).stdout();
    }

    private static boolean active(String name) {
        return new ExecCommandRunner().run(Command.of("cryptsetup", "status", name)).succeeded();
    }

    @Test
    @DisplayName("set-up unlocks and mounts it, data is stored encrypted, first use after a reboot unlocks it again, destroy locks it")
    void luks() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/cryptsetup")) || Files.isExecutable(Path.of("/sbin/cryptsetup")),
                "cryptsetup is not installed (apt-get install cryptsetup-bin; .ci/run does)");
        Path key = dir.resolve("pool.key");
        Path image = dir.resolve("pool.luks");
        Path mnt = dir.resolve("mnt");
        String name = "cb-luks-" + ProcessHandle.current().pid();
        String open = "cryptsetup open -q --key-file %s %s %s".formatted(key, image, name);
        String json = """
                {"luks": {"bdriver": "file-reflink", "bdriver_args": {"dir_path": "%4$s/pool", "setup_check": false},
                  "pre_setup": "set -e -o pipefail; [ ! -e %1$s ]; head -c 64 /dev/urandom > %1$s; truncate -s 64M %2$s; cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file %1$s %2$s; %3$s; mkfs.ext4 -q /dev/mapper/%5$s; mkdir -p %4$s; mount /dev/mapper/%5$s %4$s",
                  "pre_sinit": "set -e -o pipefail; if ! findmnt %4$s > /dev/null; then cryptsetup status %5$s > /dev/null || %3$s; mount /dev/mapper/%5$s %4$s; fi",
                  "pre_volume_create": "findmnt %4$s > /dev/null",
                  "post_destroy": "umount %4$s && cryptsetup close %5$s"}}""".formatted(key, image, open, mnt, name);
        byte[] plain = "QUBES-CALLBACK-LUKS-PLAINTEXT-".repeat(MIB / 30 + 1).substring(0, MIB).getBytes(StandardCharsets.US_ASCII);
        try {
            Pool pool = CallbackPlugin.pool(dir, json, "tluks", "luks");
            pool.setup();
            assertThat(active(name)).as("pre_setup opened the container").isTrue();
            Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef("test-luks", false), "private", 8L * MIB));
            Locked.run(v, v::create);
            Locked.run(v, () -> {
                Path target = v.importData(8L * MIB);
                try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
                    f.write(plain);
                    f.getFD().sync();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                v.importDataEnd(true);
            });
            sh("sync");
            assertThat(InVmEphemeral.contains(image, Arrays.copyOf(plain, 64))).as("the container holds no plaintext").isFalse();

            // A reboot: the container is locked, the pool object new; the first use unlocks it.
            sh("umount", mnt.toString());
            sh("cryptsetup", "close", name);
            Pool again = CallbackPlugin.pool(dir, json, "tluks", "luks");
            Volume w = again.initVolume(VolumeSpec.origin(new DomainRef("test-luks", false), "private", 8L * MIB));
            assertThat(w.isDirty()).as("not initialised yet: nothing is touched").isFalse();
            Locked.run(w, w::start);
            assertThat(active(name)).as("pre_sinit opened it again").isTrue();
            byte[] read = new byte[plain.length];
            try (RandomAccessFile f = new RandomAccessFile(w.blockDevice().orElseThrow().path().toFile(), "r")) {
                f.readFully(read);
            }
            assertThat(read).isEqualTo(plain);
            Locked.run(w, w::stop);
            Locked.run(w, w::remove);
            again.destroy();
            assertThat(active(name)).as("post_destroy closed it").isFalse();
        } finally {
            new ExecCommandRunner().run(Command.of("umount", mnt.toString()));
            new ExecCommandRunner().run(Command.of("cryptsetup", "close", name));
        }
    }
}
