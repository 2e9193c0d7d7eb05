package org.qubesstorage.lvm;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandFailure;
import org.qubesstorage.spi.CommandResult;
import org.qubesstorage.spi.CommandRunner;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs lvm commands the way the driver needs them: {@code LC_ALL=C}, a timeout that kills the
 * child, {@code sudo -n} when not root, lvm's known noise dropped from stderr, and a failure turned
 * into a backend error carrying the command, exit code and stderr. Counts lvm processes launched,
 * so tests can prove the driver runs fewer than upstream.
 */
final class LvmRunner {
    private static final Logger LOG = LoggerFactory.getLogger(LvmRunner.class);
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    /** Thin over-provisioning warnings lvm prints on success; never errors. */
    private static final List<String> NOISE = List.of("exceeds the size of thin pool",
            "You have not turned on protection against thin pools running out of space",
            "Set activation/thin_pool_autoextend_threshold below 100",
            "WARNING: Sum of all thin volume sizes", "File descriptor", "leaked on lvm invocation");

    private final CommandRunner runner;
    private final boolean root;
    private final AtomicLong launches = new AtomicLong();

    LvmRunner(CommandRunner runner) {
        this(runner, isRoot());
    }

    LvmRunner(CommandRunner runner, boolean root) {
        this.runner = requireNonNull(runner, "runner");
        this.root = root;
    }

    static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** lvm processes launched so far (blkdiscard not counted). */
    long launches() {
        return launches.get();
    }

    /** Runs {@code argv}; throws a backend failure saying {@code what} if it fails. */
    String run(String what, List<String> argv) {
        List<String> full = new ArrayList<>();
        if (!root) {
            full.addAll(List.of("sudo", "-n", "--"));
        }
        full.addAll(argv);
        if (argv.getFirst().equals("lvm")) {
            launches.incrementAndGet();
        }
        long started = System.nanoTime();
        CommandResult r = runner.run(new Command(full, Map.of("LC_ALL", "C", "LVM_SUPPRESS_FD_WARNINGS", "1"), TIMEOUT));
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} (exit {}) took {} ms", String.join(" ", full), r.exitCode(), (System.nanoTime() - started) / 1_000_000);
        }
        String stderr = r.stderr().lines().filter(l -> NOISE.stream().noneMatch(l::contains))
                .collect(Collectors.joining("\n")).strip();
        if (r.exitCode() != 0) {
            CommandFailure failure = new CommandFailure(full, r.exitCode(), stderr.isEmpty() ? r.stderr() : stderr);
            ErrorCode code = stderr.contains("free space in thin pool") || stderr.contains("Insufficient free space")
                    ? ErrorCode.INSUFFICIENT_SPACE : ErrorCode.BACKEND_FAILURE;
            throw new StorageException(code, what + ": `" + failure.commandLine() + "` exited with "
                    + r.exitCode() + ": " + failure.stderr(), failure, null);
        }
        if (!stderr.isEmpty()) {
            LOG.warn("{}: {}", String.join(" ", full), stderr);
        }
        return r.stdout();
    }

    /** Runs a command whose failure does not matter (blkdiscard before removal). */
    void runQuietly(List<String> argv) {
        List<String> full = new ArrayList<>();
        if (!root) {
            full.addAll(List.of("sudo", "-n", "--"));
        }
        full.addAll(argv);
        try {
            runner.run(new Command(full, Map.of("LC_ALL", "C"), TIMEOUT));
        } catch (StorageException e) {
            LOG.debug("ignored: {}", e.getMessage());
        }
    }
}
