package org.qubesstorage.file.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.linux.SysBlock;
import org.qubesstorage.tck.ScratchFileSystem;

/**
 * {@link DeviceMapper} where udev runs, as on dom0: the test VM has no udevd of its own, so this
 * class starts the host's {@code systemd-udevd} with lvm2's rules for its tests and stops it after
 * (run inside the VM by {@link FileInVmIT}). Devices made and removed in quick succession under
 * one name must each get udev's link to the right device, and none may be left behind.
 */
@DisplayName("device-mapper through its ioctls where udev runs (in the VM)")
public class InVmDeviceMapperUnderUdev {
    private static final Path UDEV_CONTROL = Path.of("/run/udev/control");
    private static final DeviceMapper DM = DeviceMapper.kernel(Pattern.compile("\\Aqst-[a-z0-9-]+\\z"));

    @TempDir
    Path tmp;

    @BeforeAll
    static void startUdev() throws Exception {
        ScratchFileSystem.run(List.of("/lib/systemd/systemd-udevd", "--daemon"));
        for (int i = 0; i < 500 && !Files.exists(UDEV_CONTROL); i++) {
            Thread.sleep(10);
        }
        assertThat(UDEV_CONTROL).as("udevd's control socket").exists();
    }

    @AfterAll
    static void stopUdev() throws Exception {
        ScratchFileSystem.run(List.of("sh", "-c", "pkill -x systemd-udevd; for i in $(seq 100); do pgrep -x systemd-udevd >/dev/null || break;"
                + " sleep 0.05; done; rm -f /run/udev/control"));
        assertThat(UDEV_CONTROL).as("later tests must not wait for a udev that is gone").doesNotExist();
    }

    private static String kernelNumber(String name) throws IOException {
        return ScratchFileSystem.run(List.of("dmsetup", "info", "--noheadings", "-c", "-o", "major,minor", "--", name)).strip()
                .replace(' ', ':');
    }

    @Test
    @DisplayName("each of 20 quick create/remove cycles under one name gets udev's link to its device; remove leaves nothing")
    void quickCycles() throws Exception {
        Path f = tmp.resolve("u.img");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(4 << 20);
        }
        Path loop = DM.attachLoop(f, true);
        try {
            Path node = DM.device("qst-udev");
            for (int i = 0; i < 20; i++) {
                DM.create("qst-udev", "0 2048 linear " + loop + " 0", true);
                assertThat(Files.isSymbolicLink(node)).as("round %d: udev's link, not a node of ours", i).isTrue();
                assertThat(SysBlock.deviceNumber(node)).as("round %d", i).contains(kernelNumber("qst-udev"));
                if (i % 4 == 0) {
                    DM.reload("qst-udev", "0 4096 linear " + loop + " 0");
                    assertThat(SysBlock.deviceNumber(node)).as("round %d, reloaded", i).contains(kernelNumber("qst-udev"));
                }
                try (RandomAccessFile dev = new RandomAccessFile(node.toFile(), "r")) {
                    dev.read();
                }
                DM.remove("qst-udev");
                assertThat(Files.exists(node, LinkOption.NOFOLLOW_LINKS)).as("round %d: removed", i).isFalse();
            }
            Thread.sleep(500); // udev's late events, if any, must not bring a link back
            assertThat(Files.exists(node, LinkOption.NOFOLLOW_LINKS)).isFalse();
        } finally {
            DM.detachIfUnused(loop);
        }
    }
}
