package org.qubesstorage.copy;

/** What a copy moves. */
public enum CopyMode {
    /** Every allocated, non-zero block of the source (holes and zero blocks are skipped). */
    ALL_DATA,
    /**
     * Only the blocks a clean, unmounted, recognised file system on the source uses (ext4, also per
     * GPT partition), as {@code e2image -ra} does; falls back to {@link #ALL_DATA} (saying why in the
     * result) whenever that is not provably safe.
     */
    FILESYSTEM_AWARE
}
