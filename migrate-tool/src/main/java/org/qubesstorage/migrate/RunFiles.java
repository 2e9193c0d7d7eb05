package org.qubesstorage.migrate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.qubesstorage.linux.DurableFiles;

/**
 * The files a run keeps beside qubes.xml besides its journal: the backup of qubes.xml made before
 * the first change, and finished journals moved aside. Both are named by the UTC time, with a
 * counter when that name is taken, and are made durable (file and directory fsynced) before the
 * run goes on: a crash right after must still find them.
 */
final class RunFiles {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

    private RunFiles() {}

    /** Copies qubes.xml to {@code qubes.xml.<UTC>.qvm-to-lvm.bak}, keeping its mode and times. */
    static Path backup(Path qubesXml) {
        Path absolute = qubesXml.toAbsolutePath();
        Path backup = unused(absolute, absolute.getFileName() + "." + stamp(), ".qvm-to-lvm.bak");
        try {
            Files.copy(qubesXml, backup, StandardCopyOption.COPY_ATTRIBUTES);
            DurableFiles.fsyncFile(backup);
            DurableFiles.fsyncDirectory(backup.getParent());
            return backup;
        } catch (IOException e) {
            throw ToolException.input("Cannot back up " + qubesXml + " to " + backup + ": " + IoReasons.of(e));
        }
    }

    /** Moves a finished journal to {@code <journal><suffix>.<UTC>} so that a new run starts its own. */
    static void archive(Path journalFile, String suffix) {
        Path absolute = journalFile.toAbsolutePath();
        try {
            Path to = unused(absolute, absolute.getFileName() + suffix + "." + stamp(), "");
            Files.move(absolute, to);
            DurableFiles.fsyncDirectory(absolute.getParent());
        } catch (IOException e) {
            throw ToolException.input("Cannot move the finished journal " + journalFile + " aside: " + IoReasons.of(e));
        }
    }

    private static String stamp() {
        return STAMP.format(Instant.now().atOffset(ZoneOffset.UTC));
    }

    /** {@code <stem><end>} beside {@code file}, or {@code <stem>-N<end>} for the first N that is free. */
    private static Path unused(Path file, String stem, String end) {
        Path candidate = file.resolveSibling(stem + end);
        for (int i = 1; Files.exists(candidate); i++) {
            candidate = file.resolveSibling(stem + "-" + i + end);
        }
        return candidate;
    }
}
