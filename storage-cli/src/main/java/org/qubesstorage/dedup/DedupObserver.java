package org.qubesstorage.dedup;

/**
 * What a deduplication run tells its caller as it goes (a progress bar; a test that changes a
 * volume between planning and applying). Called on the thread running the deduplication.
 */
public interface DedupObserver {
    /** Scanning begins: {@code bytes} of data (holes excluded) will be read. */
    default void scanStarted(long bytes) {}

    /** {@code bytes} more were read (called from the scanning threads, concurrently). */
    default void scanned(long bytes) {}

    /** The plan is complete; with {@code --dry-run} nothing follows. */
    default void planned(DedupReport plan) {}

    /** Applying begins: {@code bytes} of duplicate blocks will be offered to the kernel. */
    default void applyStarted(long bytes) {}

    /** {@code bytes} more were offered to the kernel (shared or found changed). */
    default void applied(long bytes) {}

    /** Does nothing. */
    DedupObserver NONE = new DedupObserver() {};
}
