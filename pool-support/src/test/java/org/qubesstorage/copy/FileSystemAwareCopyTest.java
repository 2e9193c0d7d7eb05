package org.qubesstorage.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.linux.SparseFiles;

/**
 * The file-system-aware copy on real ext4 images made by {@code mkfs.ext4 -d} and edited with
 * {@code debugfs} (neither needs root), checked with {@code e2fsck -fn}.
 */
@DisplayName("The file-system-aware copy")
class FileSystemAwareCopyTest {
    @TempDir
    Path dir;

    private final SparseCopier copier = new SparseCopier();

    static String run(String... argv) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + out);
        }
        return out;
    }

    static boolean have(String tool) {
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    /** A 64 MiB ext4 image holding three 6 MiB files, two of which are then deleted. */
    private Path ext4WithDeletedFiles() throws Exception {
        return ext4WithDeletedFiles(4096);
    }

    private Path ext4WithDeletedFiles(int blockSize) throws Exception {
        assumeTrue(have("mkfs.ext4") && have("debugfs") && have("e2fsck"), "needs e2fsprogs");
        Path content = Files.createDirectories(dir.resolve("content"));
        for (int i = 1; i <= 3; i++) {
            SparseFiles.writeRandom(content.resolve("f" + i), 0, 6 << 20, i);
        }
        Path img = SparseFiles.create(dir.resolve("fs.img"), 64L << 20);
        run("mkfs.ext4", "-q", "-F", "-b", Integer.toString(blockSize), "-d", content.toString(), img.toString());
        run("debugfs", "-w", "-R", "rm /f1", img.toString());
        run("debugfs", "-w", "-R", "rm /f3", img.toString());
        return img;
    }

    @Test
    @DisplayName("copies only the blocks ext4 uses, and the copy passes e2fsck with the kept file intact")
    void copiesUsedBlocks() throws Exception {
        Path img = ext4WithDeletedFiles();
        Path plain = dir.resolve("plain.img");
        Path aware = dir.resolve("aware.img");
        CopyResult all = copier.copy(CopyRequest.of(img, plain));
        CopyResult fs = copier.copy(CopyRequest.of(img, aware).withMode(CopyMode.FILESYSTEM_AWARE).verified());
        assertThat(fs.modeUsed()).isEqualTo(CopyMode.FILESYSTEM_AWARE);
        assertThat(fs.fallbackReason()).isEmpty();
        assertThat(all.bytesWritten()).as("plain copy moves the deleted files too").isGreaterThan(18L << 20);
        assertThat(fs.bytesWritten()).as("aware copy moves one file and metadata").isLessThan(9L << 20);
        run("e2fsck", "-fn", aware.toString());
        Path out = dir.resolve("f2.out");
        run("debugfs", "-R", "dump /f2 " + out, aware.toString());
        assertThat(Files.mismatch(out, dir.resolve("content/f2"))).isEqualTo(-1);
        assertThat(fs.verified()).isTrue();
    }

    @Test
    @DisplayName("copies a 1 KiB-block ext4, whose used ranges are not aligned for direct reads, just as exactly")
    void unalignedUsedRanges() throws Exception {
        Path img = ext4WithDeletedFiles(1024);
        Path aware = dir.resolve("aware.img");
        CopyResult fs = copier.copy(CopyRequest.of(img, aware).withMode(CopyMode.FILESYSTEM_AWARE).verified());
        assertThat(fs.modeUsed()).isEqualTo(CopyMode.FILESYSTEM_AWARE);
        assertThat(fs.verified()).isTrue();
        assertThat(fs.bytesWritten()).isLessThan(9L << 20);
        run("e2fsck", "-fn", aware.toString());
        Path out = dir.resolve("f2.out");
        run("debugfs", "-R", "dump /f2 " + out, aware.toString());
        assertThat(Files.mismatch(out, dir.resolve("content/f2"))).isEqualTo(-1);
    }

    @Test
    @DisplayName("falls back to copying all data when the file system was not cleanly unmounted")
    void fallsBackWhenNotClean() throws Exception {
        Path img = ext4WithDeletedFiles();
        run("debugfs", "-w", "-R", "ssv state 0", img.toString());
        CopyResult r = copier.copy(CopyRequest.of(img, dir.resolve("c.img")).withMode(CopyMode.FILESYSTEM_AWARE));
        assertThat(r.modeUsed()).isEqualTo(CopyMode.ALL_DATA);
        assertThat(r.fallbackReason()).get().asString().contains("not cleanly unmounted");
        assertThat(Files.mismatch(img, dir.resolve("c.img"))).isEqualTo(-1);
    }

    @Test
    @DisplayName("falls back when journal recovery is pending")
    void fallsBackWhenJournalNeedsRecovery() throws Exception {
        Path img = ext4WithDeletedFiles();
        run("debugfs", "-w", "-R", "feature needs_recovery", img.toString());
        CopyResult r = copier.copy(CopyRequest.of(img, dir.resolve("c.img")).withMode(CopyMode.FILESYSTEM_AWARE));
        assertThat(r.fallbackReason()).get().asString().contains("journal needs recovery");
    }

    @Test
    @DisplayName("falls back on something that is not a file system")
    void fallsBackOnRandomData() throws Exception {
        Path img = SparseFiles.create(dir.resolve("r.img"), 8L << 20);
        SparseFiles.writeRandom(img, 0, 4 << 20, 7);
        CopyResult r = copier.copy(CopyRequest.of(img, dir.resolve("c.img")).withMode(CopyMode.FILESYSTEM_AWARE));
        assertThat(r.fallbackReason()).get().asString().contains("no ext2/3/4");
        assertThat(Files.mismatch(img, dir.resolve("c.img"))).isEqualTo(-1);
    }

    @Test
    @DisplayName("handles a GPT disk per partition, copying everything outside the file systems")
    void gpt() throws Exception {
        assumeTrue(have("sfdisk"), "needs sfdisk (apt-get install fdisk)");
        Path fs = ext4WithDeletedFiles();
        Path disk = SparseFiles.create(dir.resolve("disk.img"), 80L << 20);
        Path script = Files.writeString(dir.resolve("layout"), "label: gpt\nstart=2048, size=131072, type=L\n");
        ProcessBuilder pb = new ProcessBuilder("sfdisk", "-q", disk.toString()).redirectInput(script.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        byte[] fsBytes = Files.readAllBytes(fs);
        SparseFiles.write(disk, 1L << 20, fsBytes);
        SparseFiles.writeRandom(disk, 70L << 20, 1 << 20, 11); // data outside any partition
        Path copy = dir.resolve("copy.img");
        CopyResult r = copier.copy(CopyRequest.of(disk, copy).withMode(CopyMode.FILESYSTEM_AWARE).verified());
        assertThat(r.modeUsed()).isEqualTo(CopyMode.FILESYSTEM_AWARE);
        assertThat(r.bytesWritten()).isLessThan(12L << 20);
        Path part = dir.resolve("part.img");
        byte[] partBytes = new byte[64 << 20];
        try (var raf = new java.io.RandomAccessFile(copy.toFile(), "r")) {
            raf.seek(1L << 20);
            raf.readFully(partBytes);
        }
        Files.write(part, partBytes);
        run("e2fsck", "-fn", part.toString());
        List<Long> checks = new ArrayList<>();
        try (var a = new java.io.RandomAccessFile(disk.toFile(), "r"); var b = new java.io.RandomAccessFile(copy.toFile(), "r")) {
            for (long off : new long[] {0, 512, 1024, 70L << 20}) {
                byte[] x = new byte[4096];
                byte[] y = new byte[4096];
                a.seek(off);
                a.readFully(x);
                b.seek(off);
                b.readFully(y);
                if (!java.util.Arrays.equals(x, y)) {
                    checks.add(off);
                }
            }
        }
        assertThat(checks).as("offsets whose bytes differ outside the partition").isEmpty();
    }
}
