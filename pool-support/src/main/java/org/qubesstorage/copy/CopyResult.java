package org.qubesstorage.copy;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * What a copy did.
 *
 * @param logicalSize     the source's size in bytes
 * @param bytesExamined   source bytes read (allocated data within the copied ranges)
 * @param bytesWritten    bytes written to the target (non-zero data)
 * @param elapsed         wall time, verification included
 * @param verifyElapsed   the part of {@code elapsed} spent reading the target back (zero without verification)
 * @param modeUsed        the mode that really ran
 * @param fallbackReason  why {@link CopyMode#FILESYSTEM_AWARE} fell back, if it did
 * @param sourceDigest    the source's content digest when verifying
 * @param targetDigest    the target's content digest when verifying (equal, or the copy threw)
 */
public record CopyResult(long logicalSize, long bytesExamined, long bytesWritten, Duration elapsed,
        Duration verifyElapsed, CopyMode modeUsed, Optional<String> fallbackReason, Optional<String> sourceDigest,
        Optional<String> targetDigest) {
    public CopyResult {
        requireNonNull(elapsed, "elapsed");
        requireNonNull(verifyElapsed, "verifyElapsed");
        requireNonNull(modeUsed, "modeUsed");
        requireNonNull(fallbackReason, "fallbackReason");
        requireNonNull(sourceDigest, "sourceDigest");
        requireNonNull(targetDigest, "targetDigest");
    }

    public boolean verified() {
        return sourceDigest.isPresent() && sourceDigest.equals(targetDigest);
    }
}
