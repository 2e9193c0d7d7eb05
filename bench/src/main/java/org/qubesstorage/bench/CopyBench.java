package org.qubesstorage.bench;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.qubesstorage.copy.CopyControl;
import org.qubesstorage.copy.CopyListener;
import org.qubesstorage.copy.CopyMode;
import org.qubesstorage.copy.CopyRequest;
import org.qubesstorage.copy.CopyResult;
import org.qubesstorage.copy.SparseCopier;

/**
 * Times the copy engine against qemu-img, dd and cp on prepared images, side by side in one run:
 * the same number of runs per tool, interleaved (so drift hits all alike), page cache dropped before
 * every copy, every copy verified afterwards (untimed). Tools run as processes; the engine runs in
 * this JVM after a warm-up, as the migration tool runs it (start-up paid once per process). Every
 * timing includes making the target durable (fdatasync, {@code conv=fsync}, an fsync after cp).
 *
 * <p>Arguments: {@code WORK_DIR RUNS [IMAGES] [TARGETS]} (e.g. {@code c file,loop}); WORK_DIR holds {@code a.img b.img c.img} and optionally
 * {@code d.img} with {@code d.sha256} (file checksums inside the ext4 image, for checking the
 * file-system-aware copies).
 */
public final class CopyBench {
    private final Path work;
    private final SparseCopier engine = new SparseCopier();
    private final Map<String, String> sourceDigests = new LinkedHashMap<>();

    private CopyBench(Path work) {
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]).toAbsolutePath();
        int runs = Integer.parseInt(args[1]);
        List<String> images = args.length > 2 ? List.of(args[2].split(",")) : List.of("a", "b", "c", "d");
        List<String> targets = args.length > 3 ? List.of(args[3].split(",")) : List.of("file", "loop");
        new CopyBench(work).run(runs, images, targets);
    }

    record Row(String image, String target, Map<String, List<Double>> times) {}

    private void run(int runs, List<String> images, List<String> targets) throws Exception {
        warmUp();
        List<Row> rows = new ArrayList<>();
        for (String image : images) {
            Path src = work.resolve(image + ".img");
            if (!Files.exists(src)) {
                continue;
            }
            for (String target : targets) {
                List<String> tools = new ArrayList<>(List.of("engine", "engine-verified", "qemu-img"));
                if (!Boolean.getBoolean("bench.skipDd")) {
                    tools.add("dd");
                }
                if (target.equals("file")) {
                    tools.add("cp");
                }
                if (image.equals("d")) {
                    tools.add(1, "engine-fs");
                }
                Map<String, List<Double>> times = new LinkedHashMap<>();
                tools.forEach(t -> times.put(t, new ArrayList<>()));
                for (int r = 0; r < runs; r++) {
                    for (int i = 0; i < tools.size(); i++) {
                        String tool = tools.get((i + r) % tools.size());
                        double s = timeOne(image, src, target, tool);
                        times.get(tool).add(s);
                        System.err.printf(Locale.ROOT, "(%s) -> %s  %-9s run %d: %.2f s%n", image, target, tool, r + 1, s);
                    }
                }
                rows.add(new Row(image, target, times));
            }
        }
        report(rows);
    }

    /** Pays class loading, native linking and JIT once, outside every timed copy. */
    private void warmUp() throws IOException {
        Path a = work.resolve("warmup-src.img");
        Path b = work.resolve("warmup-dst.img");
        try (var raf = new java.io.RandomAccessFile(a.toFile(), "rw")) {
            raf.setLength(64L << 20);
            byte[] x = new byte[1 << 20];
            new java.util.Random(1).nextBytes(x);
            raf.write(x);
        }
        for (int i = 0; i < 3; i++) {
            Files.deleteIfExists(b);
            engine.copy(CopyRequest.of(a, b).verified());
        }
        Files.delete(a);
        Files.delete(b);
    }

    private double timeOne(String image, Path src, String targetKind, String tool) throws Exception {
        Path target;
        Path backing = null;
        if (targetKind.equals("file")) {
            target = work.resolve("target.img");
            Files.deleteIfExists(target);
        } else {
            backing = work.resolve("target-backing.img");
            Files.deleteIfExists(backing);
            try (var raf = new java.io.RandomAccessFile(backing.toFile(), "rw")) {
                raf.setLength(Files.size(src));
            }
            target = Path.of(exec(List.of("losetup", "--find", "--show", "--", backing.toString())).strip());
        }
        try {
            dropCaches();
            long t0 = System.nanoTime();
            switch (tool) {
                case "engine", "engine-fs", "engine-verified" -> {
                    // engine-verified is the copy as qvm-to-lvm runs it: every written cell read back and compared.
                    CopyResult r = engine.copy(new CopyRequest(src, target, true, tool.equals("engine-verified"),
                            tool.equals("engine-fs") ? CopyMode.FILESYSTEM_AWARE : CopyMode.ALL_DATA,
                            CopyListener.NONE, new CopyControl()));
                    if (tool.equals("engine-fs") && r.modeUsed() != CopyMode.FILESYSTEM_AWARE) {
                        throw new IllegalStateException("file-system-aware copy fell back: " + r.fallbackReason());
                    }
                    System.err.printf(Locale.ROOT, "    %s: read-back %.2f s of %.2f s%n", tool,
                            r.verifyElapsed().toNanos() / 1e9, r.elapsed().toNanos() / 1e9);
                }
                case "qemu-img" -> exec(targetKind.equals("file")
                        ? List.of("qemu-img", "convert", "-f", "raw", "-O", "raw", "-S", "64k", "-t", "none", "-W",
                                src.toString(), target.toString())
                        : List.of("qemu-img", "convert", "-f", "raw", "-O", "raw", "-n", "--target-is-zero", "-S", "64k",
                                "-t", "none", "-W", src.toString(), target.toString()));
                case "dd" -> exec(List.of("dd", "if=" + src, "of=" + target, "bs=4M", "conv=sparse,fsync", "status=none"));
                case "cp" -> {
                    exec(List.of("cp", "--sparse=always", "--", src.toString(), target.toString()));
                    try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                }
                default -> throw new IllegalArgumentException(tool);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            verify(image, src, target, tool);
            return seconds;
        } finally {
            if (backing != null) {
                exec(List.of("losetup", "-d", target.toString()));
                Files.deleteIfExists(backing);
            } else {
                Files.deleteIfExists(target);
            }
        }
    }

    private void verify(String image, Path src, Path target, String tool) throws Exception {
        if (tool.equals("engine-fs")) {
            // Free blocks were not copied: check the file system and every file in it instead.
            exec(List.of("e2fsck", "-fn", target.toString()));
            Path mnt = Files.createDirectories(work.resolve("verify-mnt"));
            exec(List.of("mount", "-o", "ro", "--", target.toString(), mnt.toString()));
            try {
                execIn(mnt, List.of("sha256sum", "--quiet", "-c", work.resolve("d.sha256").toString()));
            } finally {
                exec(List.of("umount", "--", mnt.toString()));
            }
            return;
        }
        String expected = sourceDigests.computeIfAbsent(image, k -> engine.digestOf(src));
        String actual = engine.digestOf(target, Files.size(src), new CopyControl());
        if (!expected.equals(actual)) {
            throw new IllegalStateException(tool + " produced a wrong copy of " + src + " at " + target);
        }
    }

    private static void dropCaches() throws Exception {
        exec(List.of("sync"));
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    }

    private static String exec(List<String> argv) throws Exception {
        return execIn(null, argv);
    }

    private static String execIn(Path dir, List<String> argv) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", argv) + " exited with " + p.exitValue());
        }
        return out;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static void report(List<Row> rows) {
        System.out.println();
        System.out.println("| image → target | engine | engine, verified | engine, fs-aware | qemu-img | dd bs=4M conv=sparse"
                + " | cp --sparse=always | engine / qemu-img | verified / best of qemu-img and cp |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        double worst = 0;
        double fsAware = 0;
        for (Row r : rows) {
            double q = median(r.times().get("qemu-img"));
            double e = median(r.times().get("engine"));
            String fs = r.times().containsKey("engine-fs") ? fmt(median(r.times().get("engine-fs"))) : "—";
            String cp = r.times().containsKey("cp") ? fmt(median(r.times().get("cp"))) : "—";
            double ratio = e / q;
            String ratioText = String.format(Locale.ROOT, "%.2f", ratio);
            if (r.image().equals("d")) {
                double rfs = median(r.times().get("engine-fs")) / q;
                fsAware = Math.max(fsAware, rfs);
                ratioText += String.format(Locale.ROOT, " (fs-aware %.2f)", rfs);
            } else {
                worst = Math.max(worst, ratio);
            }
            double v = median(r.times().get("engine-verified"));
            double best = r.times().containsKey("cp") ? Math.min(q, median(r.times().get("cp"))) : q;
            String dd = r.times().containsKey("dd") ? fmt(median(r.times().get("dd"))) : "—";
            System.out.printf(Locale.ROOT, "| (%s) → %s | %s | %s | %s | %s | %s | %s | %s | %.2f |%n", r.image(), r.target(), fmt(e),
                    fmt(v), fs, fmt(q), dd, cp, ratioText, v / best);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "worst ratio to qemu-img: %.2f%n", worst);
        System.out.printf(Locale.ROOT, "fs-aware ratio to qemu-img: %.2f%n", fsAware);
    }

    private static String fmt(double s) {
        return String.format(Locale.ROOT, "%.2f s", s);
    }
}
