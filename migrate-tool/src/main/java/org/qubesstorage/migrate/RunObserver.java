package org.qubesstorage.migrate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a run tells about its progress beyond its output, to whoever injected the observer into
 * {@link QvmToLvm}: each point where a crash matters (after each journal record, halfway through
 * each copy, between writing and renaming qubes.xml), in the order the run reaches them, and the
 * boundaries of its phases (start-up, reading qubes.xml, the target's set-up, the plan, each
 * import, copy, commit and save). Both are called on the run's own thread, with no lock of the
 * tool's held; an observer may block there (a kill test stops the run at a checkpoint), and what
 * it throws ends the run as an internal error.
 */
public interface RunObserver {
    /** The tool's own: phases as debug-level log lines, checkpoints ignored. */
    RunObserver LOG_PHASES = new RunObserver() {
        private static final Logger LOG = LoggerFactory.getLogger(RunObserver.class);

        @Override
        public void phase(String name) {
            // Where a run's time goes without a profiler, which would itself change the timings (an agent
            // jar disables the AOT cache): -Dorg.slf4j.simpleLogger.log.org.qubesstorage=debug.
            LOG.debug("phase: {}", name);
        }
    };

    /** The run reached the point {@code name} (for example {@code "mid-copy work:private"}). */
    default void checkpoint(String name) {
    }

    /** The run reached the start of the phase {@code name}. */
    default void phase(String name) {
    }
}
