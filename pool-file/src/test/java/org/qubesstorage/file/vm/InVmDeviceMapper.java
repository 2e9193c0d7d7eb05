package org.qubesstorage.file.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.linux.LoopDevices;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.linux.SysBlock;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.tck.ScratchFileSystem;

/**
 * {@code pool-support}'s {@link DeviceMapper} on the kernel's ioctls, with {@code dmsetup} as the
 * independent witness of what the kernel holds (run inside the VM by {@link FileInVmIT}: this
 * module's VM run is the shortest one, and the file driver is the first user of these calls).
 */
@DisplayName("device-mapper through its ioctls (in the VM)")
public class InVmDeviceMapper {
    private static final long MIB = 1 << 20;
    private static final DeviceMapper DM = DeviceMapper.kernel(Pattern.compile("\\Aqst-[a-z0-9-]+\\z"));

    @TempDir
    Path tmp;

    private final List<String> devices = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        devices.reversed().forEach(DM::remove);
        for (Path f : files) {
            LoopDevices.backedBy(f).forEach(DM::detachIfUnused);
        }
    }

    private Path image(String name, long bytes, long seed) throws IOException {
        Path f = tmp.resolve(name);
        byte[] data = new byte[(int) bytes];
        new Random(seed).nextBytes(data);
        Files.write(f, data);
        files.add(f);
        return f;
    }

    private static String dmsetup(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("dmsetup"));
        argv.addAll(List.of(args));
        return ScratchFileSystem.run(argv).strip();
    }

    private static byte[] read(Path device, long offset, int length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(device.toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(offset);
            f.readFully(b);
            return b;
        }
    }

    @Test
    @DisplayName("a two-target table made live: dmsetup shows it as loaded, reads follow it, remove leaves no device or node")
    void createReadRemove() throws Exception {
        Path a = image("a.img", 2 * MIB, 1);
        Path b = image("b.img", 2 * MIB, 2);
        Path la = DM.attachLoop(a, true);
        Path lb = DM.attachLoop(b, true);
        devices.add("qst-two");
        DM.create("qst-two", "0 2048 linear " + la + " 2048\n2048 4096 linear " + lb + " 0\n", true);
        Path node = DM.device("qst-two");
        assertThat(SysBlock.deviceNumber(node)).as("a block node with the kernel's number")
                .contains(dmsetup("info", "--noheadings", "-c", "-o", "major,minor", "--", "qst-two").replace(' ', ':'));
        assertThat(dmsetup("table", "--", "qst-two")).isEqualTo(
                "0 2048 linear " + SysBlock.deviceNumber(la).orElseThrow() + " 2048\n"
                        + "2048 4096 linear " + SysBlock.deviceNumber(lb).orElseThrow() + " 0");
        assertThat(dmsetup("info", "-c", "--noheadings", "-o", "attr", "--", "qst-two")).as("live, read-only").isEqualTo("L--r");
        assertThat(read(node, 0, 4096)).isEqualTo(read(a, MIB, 4096));
        assertThat(read(node, MIB, 4096)).isEqualTo(read(b, 0, 4096));
        try (NativeFile dev = NativeFile.openRead(node)) {
            assertThat(dev.blockDeviceSize()).isEqualTo(3 * MIB);
        }
        assertThat(SysBlock.hasHolders(la)).isTrue();

        DM.remove("qst-two");
        assertThat(node).doesNotExist();
        assertThat(ScratchFileSystem.run(List.of("sh", "-c", "dmsetup info -- qst-two 2>&1 || true"))).contains("not exist");
        DM.detachIfUnused(la);
        DM.detachIfUnused(lb);
        assertThat(LoopDevices.backedBy(a)).isEmpty();
        assertThat(LoopDevices.backedBy(b)).isEmpty();
    }

    @Test
    @DisplayName("a table the kernel refuses leaves no device of that name; the error points at the kernel log")
    void refusedTable() throws Exception {
        devices.add("qst-bad");
        for (String table : List.of("0 2048 no-such-target", "0 2048 linear /dev/qst-no-such-device 0")) {
            assertThatThrownBy(() -> DM.create("qst-bad", table, false)).as(table).isInstanceOf(StorageException.class)
                    .hasMessageContaining("qst-bad");
            assertThat(DM.ensureNode("qst-bad")).isFalse();
            assertThat(DM.device("qst-bad")).doesNotExist();
            assertThat(ScratchFileSystem.run(List.of("sh", "-c", "dmsetup info -- qst-bad 2>&1 || true"))).contains("not exist");
        }
        assertThatThrownBy(() -> DM.create("qst-bad", "0 2048 no-such-target", false)).hasMessageContaining("dmesg");
    }

    @Test
    @DisplayName("reload swaps a live table: the device grows and reads the new mapping")
    void reload() throws Exception {
        Path a = image("d.img", 2 * MIB, 4);
        Path la = DM.attachLoop(a, false);
        devices.add("qst-grow");
        DM.create("qst-grow", "0 2048 linear " + la + " 0");
        DM.reload("qst-grow", "0 2048 linear " + la + " 0\n2048 2048 zero");
        Path node = DM.device("qst-grow");
        try (NativeFile dev = NativeFile.openRead(node)) {
            assertThat(dev.blockDeviceSize()).isEqualTo(2 * MIB);
        }
        assertThat(read(node, MIB, 4096)).isEqualTo(new byte[4096]);
        assertThat(dmsetup("info", "-c", "--noheadings", "-o", "attr", "--", "qst-grow")).as("live, writable, no inactive table")
                .isEqualTo("L--w");
    }

    @Test
    @DisplayName("a node lost or left by a killed process is brought back in step with the kernel")
    void nodeRepair() throws Exception {
        Path a = image("e.img", MIB, 5);
        Path la = DM.attachLoop(a, true);
        devices.add("qst-node");
        DM.create("qst-node", "0 2048 linear " + la + " 0", true);
        Path node = DM.device("qst-node");
        String number = SysBlock.deviceNumber(node).orElseThrow();
        Files.delete(node); // killed between creating the device and making its node
        assertThat(DM.ensureNode("qst-node")).isTrue();
        assertThat(SysBlock.deviceNumber(node)).contains(number);
        Files.delete(node);
        Files.createFile(node); // something else in its place
        assertThat(DM.ensureNode("qst-node")).isTrue();
        assertThat(SysBlock.deviceNumber(node)).contains(number);

        dmsetup("remove", "--", "qst-node");
        Files.deleteIfExists(node);
        ScratchFileSystem.run(List.of("mknod", "--", node.toString(), "b", number.split(":")[0], number.split(":")[1]));
        assertThat(DM.ensureNode("qst-node")).as("killed between removing the device and dropping its node").isFalse();
        assertThat(node).doesNotExist();
    }
}
