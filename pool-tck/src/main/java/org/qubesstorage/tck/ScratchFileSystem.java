package org.qubesstorage.tck;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real file system (btrfs, xfs, ext4) in a sparse image file, attached to a loop device and
 * mounted, for tests that must run on the real thing. Needs root and the file system's mkfs; where
 * either is missing the calling test is skipped with the reason. {@link #close()} unmounts, detaches
 * and deletes everything.
 */
public final class ScratchFileSystem implements AutoCloseable {
    private final Path image;
    private final Path mountPoint;
    private final String loop;

    private ScratchFileSystem(Path image, Path mountPoint, String loop) {
        this.image = image;
        this.mountPoint = mountPoint;
        this.loop = loop;
    }

    /** Makes and mounts a {@code type} file system of {@code sizeBytes} under {@code workDir}. */
    public static ScratchFileSystem create(String type, long sizeBytes, Path workDir) throws IOException {
        assumeTrue(isRoot(), "needs root (loop devices and mount); run through .ci/run or as root");
        String mkfs = "mkfs." + type;
        assumeTrue(onPath(mkfs), mkfs + " is not installed (apt-get install "
                + switch (type) { case "btrfs" -> "btrfs-progs"; case "xfs" -> "xfsprogs"; default -> "e2fsprogs"; } + ")");
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "this machine has no loop devices");
        Files.createDirectories(workDir);
        Path image = Files.createTempFile(workDir, type + "-", ".img");
        try (var raf = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            raf.setLength(sizeBytes);
        }
        List<String> mk = new ArrayList<>(List.of(mkfs));
        switch (type) {
            case "btrfs" -> mk.addAll(List.of("-q", "-f"));
            case "xfs" -> mk.addAll(List.of("-q", "-f", "-m", "reflink=1"));
            case "ext4" -> mk.addAll(List.of("-q", "-F"));
            default -> { }
        }
        mk.add(image.toString());
        run(mk);
        String loop = run(List.of("losetup", "--find", "--show", "--", image.toString())).strip();
        Path mp = Files.createTempDirectory(workDir, type + "-mnt-");
        try {
            run(List.of("mount", "-t", type, "--", loop, mp.toString()));
        } catch (IOException | RuntimeException e) {
            runQuietly(List.of("losetup", "-d", loop));
            Files.deleteIfExists(image);
            throw e;
        }
        return new ScratchFileSystem(image, mp, loop);
    }

    public Path mountPoint() {
        return mountPoint;
    }

    public String loopDevice() {
        return loop;
    }

    /** Bytes used on the file system (as {@code df} shows), after a sync. */
    public long usedBytes() throws IOException {
        runQuietly(List.of("sync", "-f", mountPoint.toString()));
        var store = Files.getFileStore(mountPoint);
        return store.getTotalSpace() - store.getUnallocatedSpace();
    }

    /**
     * Unmounts, detaches and deletes. A mount still busy for a moment is retried, then lazily
     * detached, so no mount or loop device outlives the test.
     */
    @Override
    public void close() throws IOException {
        boolean unmounted = false;
        for (int attempt = 0; attempt < 5 && !unmounted; attempt++) {
            try {
                run(List.of("umount", "--", mountPoint.toString()));
                unmounted = true;
            } catch (IOException e) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (!unmounted) {
            runQuietly(List.of("umount", "-l", "--", mountPoint.toString()));
        }
        runQuietly(List.of("losetup", "-d", loop));
        try {
            Files.deleteIfExists(mountPoint);
        } catch (IOException e) {
            // a lazily unmounted point may linger until its last user goes; it is empty either way
        }
        Files.deleteIfExists(image);
    }

    public static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return ((Integer) uid) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    public static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command (no shell) and returns its stdout; throws with its stderr if it fails. */
    public static String run(List<String> argv) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(argv + " timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(argv + " failed with " + p.exitValue() + ": " + new String(err, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static void runQuietly(List<String> argv) {
        try {
            run(argv);
        } catch (IOException ignored) {
            // cleanup goes on
        }
    }
}
