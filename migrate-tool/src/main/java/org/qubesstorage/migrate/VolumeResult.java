package org.qubesstorage.migrate;

/**
 * What copying one volume did, for the journal and the summary.
 *
 * @param apparentBytes the volume's size
 * @param bytesRead     source data examined
 * @param bytesWritten  bytes written to the target (zeros and holes are skipped)
 * @param millis        wall time of copy and verification
 * @param verifyMillis  the part of {@code millis} spent reading the new volume back to verify it
 * @param digest        the content digest both sides matched
 * @param mode          the copy mode that ran ({@code ALL_DATA} or {@code FILESYSTEM_AWARE})
 * @param fallback      why the file-system-aware mode fell back, if it did
 */
record VolumeResult(String domain, String volume, long apparentBytes, long bytesRead, long bytesWritten, long millis,
        long verifyMillis, String digest, String mode, String fallback) {
    double megabytesPerSecond() {
        return millis == 0 ? 0 : apparentBytes / 1e6 / (millis / 1000.0);
    }
}
