package org.qubesstorage.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.atomic.AtomicInteger;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.host.DriverRegistry;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandRunner;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/**
 * The overlay driver's figures against the {@code file-reflink} driver (and, for start and stop,
 * the {@code file} driver) in one run on one file system; run by {@code bench/overlay-bench-vm.sh}
 * inside the test VM as root. Drivers are reached through the SPI only, as the tools reach them.
 * Prints Markdown tables.
 *
 * <p>Arguments: a directory on the file system under test, the runs per timed step, and optionally
 * the steps to run, comma-separated ({@code clone,storage,reads,startstop}; all by default).
 */
public final class LayerBench {
    private static final long MIB = 1 << 20;
    private static final long GIB = 1 << 30;

    private final Path root;
    private final int runs;
    private final DriverRegistry drivers = DriverRegistry.load(LayerBench.class.getClassLoader(), Optional.empty());
    private final AtomicInteger commands = new AtomicInteger();
    private static final CommandRunner EXEC = new ExecCommandRunner();
    private int domains;

    private LayerBench(Path root, int runs) {
        this.root = root;
        this.runs = runs;
    }

    public static void main(String[] args) throws Exception {
        List<String> steps = List.of((args.length > 2 ? args[2] : "clone,storage,reads,startstop").split(","));
        new LayerBench(Path.of(args[0]), Integer.parseInt(args[1])).run(steps);
    }

    private void run(List<String> steps) throws Exception {
        for (String step : steps) {
            switch (step) {
                case "clone" -> clones();
                case "storage" -> storage();
                case "reads" -> reads();
                case "startstop" -> startStop();
                default -> throw new IllegalArgumentException("no step " + step + " (clone, storage, reads, startstop)");
            }
        }
    }

    // ---- the pools -------------------------------------------------------------------------------

    private Pool pool(String driver, String name, Map<String, String> extra) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        Map<String, String> attrs = new java.util.HashMap<>(extra);
        attrs.put("dir_path", dir.toString());
        CommandRunner counting = c -> {
            commands.incrementAndGet();
            return EXEC.run(c);
        };
        Pool p = drivers.find(driver).orElseThrow(() -> new IllegalStateException("no driver " + driver))
                .create(new PoolConfig(name, driver, attrs), new HostDriverContext(counting, Clock.systemUTC(), root.resolve("run")));
        p.setup();
        return p;
    }

    private Volume origin(Pool p, long size) {
        Volume v = p.initVolume(VolumeSpec.origin(new DomainRef("bench" + domains++, true), "root", size));
        Locked.run(v, v::create);
        return v;
    }

    /** An origin volume of {@code size} whose first {@code data} bytes are random, imported (no start needed). */
    private Volume withData(Pool p, long size, long data, long seed) throws IOException {
        Volume v = origin(p, size);
        v.lock().lock();
        try {
            Path in = v.importData(size);
            fill(in, 0, data, seed);
            v.importDataEnd(true);
        } finally {
            v.lock().unlock();
        }
        return v;
    }

    private Volume clone(Pool p, Volume src) {
        Volume v = p.initVolume(VolumeSpec.origin(new DomainRef("bench" + domains++, true), "root", src.size()));
        Locked.run(v, () -> v.importVolume(src));
        return v;
    }

    // ---- 1. clone ----------------------------------------------------------------------------------

    private void clones() throws Exception {
        System.out.println("## Clone of a 10 GiB volume holding 1 GiB of data (median of " + runs + ")\n");
        System.out.println("| driver | clone time | data bytes written by the clone |");
        System.out.println("|---|---|---|");
        for (String driver : List.of("overlay", "file-reflink")) {
            Pool p = pool(driver, "clone-" + driver, extra(driver));
            Volume src = withData(p, 10 * GIB, GIB, 1);
            long[] times = new long[runs];
            long bytes = 0;
            for (int i = 0; i < runs; i++) {
                long before = du(p);
                sync();
                long t0 = System.nanoTime();
                Volume c = clone(p, src);
                times[i] = System.nanoTime() - t0;
                sync();
                bytes = du(p) - before;
                Locked.run(c, c::remove);
            }
            System.out.printf(Locale.ROOT, "| %s | %.1f ms | %s |%n", driver, median(times) / 1e6, mib(bytes));
        }
        System.out.println();
    }

    // ---- 2. storage --------------------------------------------------------------------------------

    private void storage() throws Exception {
        System.out.println("## Three branches of a 2 GiB base (1 GiB of data), each writing 50 MiB\n");
        System.out.println("| driver | one branch holds | base + 3 branches on disk | base alone |");
        System.out.println("|---|---|---|---|");
        for (String driver : List.of("overlay", "file-reflink")) {
            Pool p = pool(driver, "storage-" + driver, extra(driver));
            Volume base = withData(p, 2 * GIB, GIB, 2);
            sync();
            long baseOnly = du(p);
            long held = 0;
            for (int b = 0; b < 3; b++) {
                Volume branch = clone(p, base);
                Locked.run(branch, branch::start);
                writeDevice(branch, (long) b * 64 * MIB, 50 * MIB, 10 + b);
                Locked.run(branch, branch::stop);
                held = branch.usage().orElse(-1);
            }
            sync();
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s |%n", driver, mib(held), mib(du(p)), mib(baseOnly));
        }
        System.out.println();
    }

    // ---- 3. reads ----------------------------------------------------------------------------------

    private void reads() throws Exception {
        Pool p = pool("overlay", "reads", Map.of());
        Volume base = withData(p, 512 * MIB, 512 * MIB, 3);
        Volume mid = clone(p, base);
        commitWrite(mid, 64 * MIB, 50 * MIB, 20);
        Volume top = clone(p, mid);
        commitWrite(top, 256 * MIB, 50 * MIB, 21);
        Path flat = root.resolve("flat.img");
        Path exported = top.export();
        try {
            Files.copy(exported, flat);
        } finally {
            top.exportEnd(exported);
        }
        Locked.run(top, top::start);
        Path device = top.blockDevice().orElseThrow().path();
        // The flat image read as a file, and as a domain of the file driver gets it: on a loop device.
        Path flatLoop = Path.of(command("losetup", "--find", "--show", "--read-only", "--", flat.toString()));
        long[] seqChain = new long[runs];
        long[] seqFlat = new long[runs];
        long[] seqLoop = new long[runs];
        long[] rndChain = new long[runs];
        long[] rndFlat = new long[runs];
        long[] rndLoop = new long[runs];
        try {
            for (int i = 0; i < runs; i++) {
                seqChain[i] = sequential(device, 512 * MIB);
                seqFlat[i] = sequential(flat, 512 * MIB);
                seqLoop[i] = sequential(flatLoop, 512 * MIB);
                rndChain[i] = random(device, 512 * MIB, 2000, i);
                rndFlat[i] = random(flat, 512 * MIB, 2000, i);
                rndLoop[i] = random(flatLoop, 512 * MIB, 2000, i);
            }
        } finally {
            command("losetup", "--detach", flatLoop.toString());
        }
        Locked.run(top, top::stop);
        System.out.println("## Reads of a 512 MiB volume at the top of a three-level chain, against its flat image on the same disk,"
                + " read as a file and on a loop device (median of " + runs + ", page cache dropped before each)\n");
        System.out.println("| read | chain | flat file | flat on loop | chain throughput / file | / loop |");
        System.out.println("|---|---|---|---|---|---|");
        printReads("sequential 512 MiB", seqChain, seqFlat, seqLoop);
        printReads("2000 random 4 KiB (fio, O_DIRECT)", rndChain, rndFlat, rndLoop);
        System.out.println();
    }

    private static void printReads(String what, long[] chain, long[] file, long[] loop) {
        System.out.printf(Locale.ROOT, "| %s | %.2f s | %.2f s | %.2f s | %.2f | %.2f |%n", what, median(chain) / 1e9, median(file) / 1e9,
                median(loop) / 1e9, (double) median(file) / median(chain), (double) median(loop) / median(chain));
    }

    private static String command(String... argv) {
        return EXEC.run(Command.of(argv)).requireSuccess(argv[0]).stdout().strip();
    }

    // ---- 4. start and stop -------------------------------------------------------------------------

    private void startStop() throws Exception {
        System.out.println("## Start and stop (median of " + runs + "), with the commands they run\n");
        System.out.println("| what | start | stop | commands per start and stop |");
        System.out.println("|---|---|---|---|");
        Pool ov = pool("overlay", "startstop-overlay", Map.of());
        Volume base = withData(ov, 256 * MIB, 64 * MIB, 4);
        Volume b1 = clone(ov, base);
        commitWrite(b1, 0, 4 * MIB, 30);
        Volume b2 = clone(ov, b1);
        commitWrite(b2, 8 * MIB, 4 * MIB, 31);
        Volume app = ov.initVolume(VolumeSpec.snapshot(new DomainRef("bench-app", false), "root", b2, true));
        Locked.run(app, app::create);
        measureStartStop("overlay: an AppVM on a three-level chain", app);
        Pool file = pool("file", "startstop-file", Map.of());
        Volume tpl = withData(file, 256 * MIB, 64 * MIB, 5);
        Volume fileApp = file.initVolume(VolumeSpec.snapshot(new DomainRef("bench-file-app", false), "root", tpl, true));
        Locked.run(fileApp, fileApp::create);
        measureStartStop("file: an AppVM on its template", fileApp);
        System.out.println();
    }

    private void measureStartStop(String what, Volume v) {
        long[] starts = new long[runs];
        long[] stops = new long[runs];
        int count = 0;
        for (int i = 0; i < runs; i++) {
            int before = commands.get();
            long t0 = System.nanoTime();
            Locked.run(v, v::start);
            long t1 = System.nanoTime();
            Locked.run(v, v::stop);
            long t2 = System.nanoTime();
            starts[i] = t1 - t0;
            stops[i] = t2 - t1;
            count = commands.get() - before;
        }
        System.out.printf(Locale.ROOT, "| %s | %.2f s | %.2f s | %d |%n", what, median(starts) / 1e9, median(stops) / 1e9, count);
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private static Map<String, String> extra(String driver) {
        return driver.equals("file-reflink") ? Map.of("setup_check", "False") : Map.of();
    }

    private void commitWrite(Volume v, long offset, long length, long seed) throws IOException {
        Locked.run(v, v::start);
        writeDevice(v, offset, length, seed);
        Locked.run(v, v::stop);
    }

    private static void writeDevice(Volume v, long offset, long length, long seed) throws IOException {
        fill(v.blockDevice().orElseThrow().path(), offset, length, seed);
    }

    private static void fill(Path target, long offset, long length, long seed) throws IOException {
        Random r = new Random(seed);
        byte[] block = new byte[(int) MIB];
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
            for (long done = 0; done < length; done += MIB) {
                r.nextBytes(block);
                ByteBuffer b = ByteBuffer.wrap(block, 0, (int) Math.min(MIB, length - done));
                long pos = offset + done;
                while (b.hasRemaining()) {
                    pos += ch.write(b, pos);
                }
            }
            ch.force(true);
        }
    }

    private static long sequential(Path p, long length) throws Exception {
        dropCaches();
        ByteBuffer b = ByteBuffer.allocateDirect((int) MIB);
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            for (long pos = 0; pos < length; ) {
                b.clear();
                int n = ch.read(b, pos);
                if (n <= 0) {
                    break;
                }
                pos += n;
            }
        }
        return System.nanoTime() - t0;
    }

    /**
     * {@code reads} random 4 KiB reads of the first {@code length} bytes of {@code p} by fio, with
     * O_DIRECT (no readahead, no page cache: each read goes down the whole stack), one at a time;
     * returns fio's own run time of the job in nanoseconds (fio's start-up not included).
     */
    private static long random(Path p, long length, int reads, long seed) throws Exception {
        dropCaches();
        String json = command("fio", "--name=rnd", "--filename=" + p, "--readonly", "--rw=randread", "--bs=4k", "--direct=1",
                "--ioengine=psync", "--size=" + length, "--number_ios=" + reads, "--randseed=" + (seed + 1), "--output-format=json");
        Matcher m = Pattern.compile("\"read\"\\s*:\\s*\\{[^}]*?\"runtime\"\\s*:\\s*(\\d+)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("fio printed no read run time: " + json);
        }
        return Long.parseLong(m.group(1)) * 1_000_000;
    }

    private static void dropCaches() throws Exception {
        sync();
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    }

    private static void sync() throws Exception {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
    }

    /** Bytes the pool's directory takes on disk ({@code du}: allocated blocks, hard links counted once). */
    private static long du(Pool p) throws Exception {
        Process du = new ProcessBuilder("du", "-s", "-B1", "--", p.config().get("dir_path")).start();
        String out = new String(du.getInputStream().readAllBytes()).strip();
        du.waitFor();
        return Long.parseLong(out.split("\\s+")[0]);
    }

    private static long median(long[] values) {
        long[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }
}
