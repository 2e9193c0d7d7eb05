package org.qubesstorage.bench;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.linux.NativeFile;
import org.qubesstorage.linux.SysBlock;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandRunner;

/**
 * One device cycle as the {@code file} driver makes it for a volume (two loop devices, a
 * persistent dm-snapshot on them, then all of it taken down), through {@code losetup}/{@code dmsetup}
 * processes (the same commands, in the same order, as {@code DeviceMapper} ran them before it used
 * ioctls: create, mknodes; info, remove --retry; detach) against {@link DeviceMapper} on the
 * kernel's ioctls. Interleaved rounds; each cycle's device is checked for its size. Run by
 * {@code bench/device-cycle-bench.sh} inside the test VM as root; prints a Markdown table.
 *
 * <p>Arguments: a scratch directory, the rounds.
 */
public final class DeviceCycleBench {
    private static final long MIB = 1 << 20;
    private static final CommandRunner EXEC = new ExecCommandRunner();
    private static final DeviceMapper DM = DeviceMapper.kernel(Pattern.compile("\\Abench-cycle-[a-z]+\\z"));

    private DeviceCycleBench() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        Path image = sparse(dir.resolve("image.img"), 64 * MIB);
        Path cow = sparse(dir.resolve("cow.img"), 8 * MIB);
        String table = "0 " + (64 * MIB / 512) + " snapshot %s %s P 8";
        // one untimed cycle each: the JIT, the ioctl bindings and the commands' first load
        processes(image, cow, table);
        ioctls(image, cow, table);
        long[] byProcesses = new long[rounds];
        long[] byIoctls = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            byProcesses[i] = processes(image, cow, table);
            byIoctls[i] = ioctls(image, cow, table);
        }
        long p = median(byProcesses);
        long k = median(byIoctls);
        System.out.println("| one volume's device cycle (2 loops, a dm-snapshot, taken down) | median of " + rounds + " |");
        System.out.println("|---|---|");
        System.out.printf(Locale.ROOT, "| losetup and dmsetup processes (10 commands) | %.1f ms |%n", p / 1e6);
        System.out.printf(Locale.ROOT, "| DeviceMapper on the ioctls | %.1f ms |%n", k / 1e6);
        System.out.printf(Locale.ROOT, "| processes / ioctls | %.1f |%n", (double) p / k);
    }

    private static long processes(Path image, Path cow, String table) throws Exception {
        String name = "bench-cycle-cmd";
        long t0 = System.nanoTime();
        Path imgLoop = Path.of(run("losetup", "--find", "--nooverlap", "--show", "--", image.toString()));
        Path cowLoop = Path.of(run("losetup", "--find", "--nooverlap", "--show", "--", cow.toString()));
        run("dmsetup", "create", "--table", table.formatted(imgLoop, cowLoop), "--", name);
        run("dmsetup", "mknodes", "--", name);
        check(Path.of("/dev/mapper", name));
        run("dmsetup", "info", "--", name);
        run("dmsetup", "remove", "--retry", "--", name);
        run("dmsetup", "mknodes", "--", name);
        run("losetup", "--detach", imgLoop.toString());
        run("losetup", "--detach", cowLoop.toString());
        return System.nanoTime() - t0;
    }

    private static long ioctls(Path image, Path cow, String table) throws Exception {
        String name = "bench-cycle-ioctl";
        long t0 = System.nanoTime();
        Path imgLoop = DM.attachLoop(image, false);
        Path cowLoop = DM.attachLoop(cow, false);
        DM.create(name, table.formatted(imgLoop, cowLoop));
        check(DM.device(name));
        if (DM.ensureNode(name)) {
            DM.remove(name);
        }
        DM.detachIfUnused(imgLoop);
        DM.detachIfUnused(cowLoop);
        return System.nanoTime() - t0;
    }

    private static void check(Path device) {
        try (NativeFile dev = NativeFile.openRead(device)) {
            if (dev.blockDeviceSize() != 64 * MIB || SysBlock.deviceNumber(device).isEmpty()) {
                throw new IllegalStateException(device + " is not the 64 MiB snapshot it should be");
            }
        }
    }

    private static String run(String... argv) {
        return EXEC.run(Command.of(argv)).requireSuccess(argv[0]).stdout().strip();
    }

    private static Path sparse(Path f, long bytes) throws Exception {
        Files.deleteIfExists(f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(bytes);
        }
        return f;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
