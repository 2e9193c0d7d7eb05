package org.qubesstorage.migrate;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.linux.LoopDevices;

/**
 * The tool's own running check: an image attached to a loop device (what {@code losetup -j} shows;
 * the file driver's running domains look like this) or held open by any process (what
 * {@code fuser} shows, read from {@code /proc/<pid>/fd}) belongs to a domain in use.
 */
final class ImagesInUse implements RunningCheck {
    private final Path proc;
    private Map<Path, List<String>> openFiles;

    ImagesInUse() {
        this(Path.of("/proc"));
    }

    ImagesInUse(Path proc) {
        this.proc = proc;
    }

    @Override
    public Optional<String> check(String domain, List<Path> images) {
        for (Path image : images) {
            List<Path> loops = LoopDevices.backedBy(image);
            if (!loops.isEmpty()) {
                return Optional.of("image " + image + " is attached to " + loops.getFirst() + " (the domain runs?)");
            }
            Path real = realPath(image);
            List<String> holders = openFiles().getOrDefault(real, List.of());
            if (!holders.isEmpty()) {
                return Optional.of("image " + image + " is open by " + String.join(", ", holders));
            }
        }
        return Optional.empty();
    }

    /** Every file any process has open, with "pid N (comm)" of each holder; read once. */
    private synchronized Map<Path, List<String>> openFiles() {
        if (openFiles != null) {
            return openFiles;
        }
        Map<Path, List<String>> map = new HashMap<>();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path pidDir : pids) {
                if (pidDir.getFileName().toString().equals(Long.toString(self))) {
                    continue;
                }
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(pidDir.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            Path target = Files.readSymbolicLink(fd);
                            if (target.isAbsolute()) {
                                map.computeIfAbsent(target, k -> new ArrayList<>()).add(describe(pidDir));
                            }
                        } catch (IOException e) {
                            // the descriptor was closed meanwhile
                        }
                    }
                } catch (IOException e) {
                    // the process exited, or its descriptors are not ours to read
                }
            }
        } catch (IOException e) {
            // no /proc: only the loop-device check applies
        }
        openFiles = map;
        return map;
    }

    private static String describe(Path pidDir) {
        String comm;
        try {
            comm = Files.readString(pidDir.resolve("comm")).strip();
        } catch (IOException e) {
            comm = "?";
        }
        return "pid " + pidDir.getFileName() + " (" + comm + ")";
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }
}
