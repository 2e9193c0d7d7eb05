package org.qubesstorage.migrate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debug-level marks at the boundaries of a run's phases (start-up, reading qubes.xml, the target's
 * set-up, the plan, each import, copy, commit and save), so that an admin or a benchmark can see
 * where a run's time goes without a profiler, which would itself change the timings (an agent jar
 * on the class path disables the AOT cache). Turned on with
 * {@code -Dorg.slf4j.simpleLogger.log.org.qubesstorage=debug}, best with
 * {@code -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS}
 * (wall-clock times, to compare with when the launcher was started); lvm commands log their own
 * duration.
 */
final class Phases {
    private static final Logger LOG = LoggerFactory.getLogger(Phases.class);

    private Phases() {}

    /** Logs that {@code phase} was reached. */
    static void mark(String phase) {
        LOG.debug("phase: {}", phase);
    }
}
