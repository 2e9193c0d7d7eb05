package org.qubesstorage.overlay;

/**
 * Told of each {@link CommitStep} a commit completes, on the committing thread, with the volume's
 * and the pool's locks held. The driver's own is {@link #NONE}; a caller that wants to watch or
 * stop commits at a step (a crash test, a trace) passes its own to
 * {@link OverlayDriver#OverlayDriver(CommitObserver)}. An exception it throws propagates out of
 * the stop as a killed process would leave things: the steps after it do not run.
 */
@FunctionalInterface
public interface CommitObserver {
    /** Watches nothing. */
    CommitObserver NONE = (vid, step) -> { };

    /** Called after {@code step} of the commit of volume {@code vid} is durable. */
    void reached(String vid, CommitStep step);
}
