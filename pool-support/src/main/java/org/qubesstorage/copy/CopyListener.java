package org.qubesstorage.copy;

/**
 * Progress of a copy, called from the copy's worker threads (keep it cheap and thread-safe).
 */
@FunctionalInterface
public interface CopyListener {
    CopyListener NONE = (done, total) -> {};

    /**
     * @param bytesDone  source bytes examined so far (data and zero blocks alike)
     * @param bytesTotal source bytes that will be examined in all (the allocated data, not the
     *                   logical size)
     */
    void progress(long bytesDone, long bytesTotal);
}
