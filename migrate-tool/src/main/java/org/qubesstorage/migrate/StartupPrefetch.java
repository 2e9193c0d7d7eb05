package org.qubesstorage.migrate;

import java.util.Optional;
import org.qubesstorage.copy.EngineWarmup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work that nearly every run of the tool needs, done on a second thread from the moment the JVM
 * reaches {@code main}, while the main thread parses the command line and reads qubes.xml.
 *
 * <p>Why: stack samples of a migration's start-up in the project's TCG test VM (two vCPUs, AOT
 * cache on) had the main thread spend about 0.7 s binding native calls (their generated classes
 * are never in the AOT cache) and 0.4 s initialising Jackson (its date formats pull in the JDK's
 * locale data), each at its first use and one after the other. Both are the same work on any
 * thread, so doing it here only moves it off the critical path. On a machine with one CPU it costs
 * next to nothing extra: the main thread would have done all of it but two bindings (fallocate and
 * ftruncate, which only file targets use).
 *
 * <p>Nothing here touches a file, takes a lock or changes state the run depends on: a failure only
 * ends this thread (the first real use then fails with the cause, as without it), and the daemon
 * thread never keeps the JVM alive.
 */
final class StartupPrefetch {
    private static final Logger LOG = LoggerFactory.getLogger(StartupPrefetch.class);

    private StartupPrefetch() {}

    /** Starts the thread and returns it at once; empty when {@code -Dqvm-to-lvm.prefetch=false} turns it off. */
    static Optional<Thread> start() {
        if (!enabled()) {
            return Optional.empty();
        }
        return Optional.of(Thread.ofPlatform().name("start-up-prefetch").daemon().start(StartupPrefetch::prepare));
    }

    /** Whether work is done ahead at all (this prefetch, and lvs read while qubes.xml is read): {@code -Dqvm-to-lvm.prefetch}. */
    static boolean enabled() {
        return Boolean.parseBoolean(System.getProperty("qvm-to-lvm.prefetch", "true"));
    }

    /** Does the work on the calling thread; false (logged at debug level) when part of it failed. */
    static boolean prepare() {
        try {
            boolean bound = EngineWarmup.bindNatives();
            // Builds the mapper and the journal line's serializer tree (records, found by reflection).
            Journal.JSON.writeValueAsString(Journal.Entry.of("prefetch"));
            return bound;
        } catch (Throwable t) {
            LOG.debug("Start-up prefetch ended early: {}", t.toString());
            return false;
        }
    }
}
