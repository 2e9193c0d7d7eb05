package org.qubesstorage.migrate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.qubesstorage.copy.EngineWarmup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work that nearly every run of the tool needs, done on two more threads from the moment the JVM
 * reaches {@code main}, while the main thread parses the command line and reads qubes.xml.
 *
 * <p>Why: at start-up the main thread would otherwise bind native calls (their generated classes
 * are never in the AOT cache) and initialise Jackson (its date formats pull in the JDK's locale
 * data), each at its first use and one after the other (stack samples in {@code bench/HISTORY.md}).
 * Both are the same work on any thread, so doing it here only moves it off the critical path. On a machine with one CPU it costs
 * next to nothing extra: the main thread would have done all of it but two bindings (fallocate and
 * ftruncate, which only file targets use).
 *
 * <p>Nothing here touches a file, takes a lock or changes state the run depends on: a failure only
 * ends its thread (the first real use then fails with the cause, as without it), and the daemon
 * threads never keep the JVM alive.
 */
final class StartupPrefetch {
    private static final Logger LOG = LoggerFactory.getLogger(StartupPrefetch.class);

    private StartupPrefetch() {}

    /**
     * Starts the threads and returns them at once; none when {@code -Dqvm-to-lvm.prefetch=false}
     * turns it off. Two threads, not one: behind the native bindings, Jackson's work would not be
     * done by the time the main thread writes its first journal line, and the main thread would
     * build the same serializers itself.
     */
    static List<Thread> start() {
        if (!enabled()) {
            return List.of();
        }
        return List.of(Thread.ofPlatform().name("start-up-prefetch-natives").daemon().start(StartupPrefetch::bindNatives),
                Thread.ofPlatform().name("start-up-prefetch-json").daemon().start(StartupPrefetch::prepareJson));
    }

    /** Whether work is done ahead at all (this prefetch, and lvs read while qubes.xml is read): {@code -Dqvm-to-lvm.prefetch}. */
    static boolean enabled() {
        return Boolean.parseBoolean(System.getProperty("qvm-to-lvm.prefetch", "true"));
    }

    /** Does the work of both threads on the calling thread; false when part of it failed. */
    static boolean prepare() {
        boolean json = prepareJson();
        return bindNatives() && json;
    }

    /** Binds the copy engine's native calls; false (logged at debug level) when part of it failed. */
    private static boolean bindNatives() {
        try {
            return EngineWarmup.bindNatives();
        } catch (Throwable t) {
            LOG.debug("Start-up prefetch of the native calls ended early: {}", t.toString());
            return false;
        }
    }

    /** Builds the journal's serializers and loads SHA-256; false (logged at debug level) when that failed. */
    private static boolean prepareJson() {
        try {
            // Builds the mapper and the serializers of a journal line with a plan and a result in
            // it: Jackson finds a record's properties by reflection at its first use, and an empty
            // line written here would leave that work to the run's first line (the whole plan).
            org.qubesstorage.migrate.json.Wire.line(WireFormat.line(sampleRunEntry()));
            // Loads the JDK's security provider, which the plan's SHA-256 of qubes.xml needs.
            Hashing.sha256(new byte[0]);
            return true;
        } catch (Throwable t) {
            LOG.debug("Start-up prefetch of the journal's serializers ended early: {}", t.toString());
            return false;
        }
    }

    /** A journal line of every record type a run writes, each property set (null ones are not serialized). */
    static Journal.Entry sampleRunEntry() {
        Map<String, String> attrs = new LinkedHashMap<>(Map.of("revisions_to_keep", "1"));
        MigrationPlan.VolumePlan volume = new MigrationPlan.VolumePlan("private", MigrationPlan.Action.COPY, "sample",
                org.qubesstorage.spi.VolumeType.ORIGIN,
                "source", "appvms/sample/private", "/sample/private.img", 1, 1, "target:vm-sample-private", 1, true, attrs, attrs,
                "owner");
        MigrationPlan.DomainPlan domain = new MigrationPlan.DomainPlan("sample", "AppVM", "template", MigrationPlan.Status.MIGRATE,
                "sample", List.of(volume, volume), List.of("note"));
        MigrationPlan plan = new MigrationPlan(org.qubesstorage.xml.QubesXml.Format.R4, "/sample/qubes.xml", "0", "target", attrs, List.of(domain, domain),
                new MigrationPlan.SpaceCheck(1, 1, 1L, 1L, "sample", "sample"));
        VolumeResult result = new VolumeResult("sample", "private", 1, 1, 1, 1, 1, "xxh3-128:0", "ALL_DATA", "sample");
        return new Journal.Entry(JournalStep.RUN, "now", "sample", "private", "sample", "0", 1L, plan, "/sample.bak", true, true, result);
    }
}
