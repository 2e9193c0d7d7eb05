package org.qubesstorage.copy;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * One copy for {@link SparseCopier}.
 *
 * @param source       a regular file or block device to read
 * @param target       a regular file (created if missing, its old content replaced) or a block
 *                     device at least as large as the source
 * @param targetIsZero whether a block device target already reads as zeros (a fresh thin volume,
 *                     a discarded range): then gaps are left alone; otherwise they are zeroed.
 *                     File targets are always made zero first (truncated), so this is ignored.
 * @param verify       hash the logical content of source and target and compare
 * @param mode         copy all data, or only blocks a recognised file system uses
 * @param listener     progress reports
 * @param control      cancellation
 */
public record CopyRequest(Path source, Path target, boolean targetIsZero, boolean verify, CopyMode mode,
        CopyListener listener, CopyControl control) {
    public CopyRequest {
        requireNonNull(source, "source");
        requireNonNull(target, "target");
        requireNonNull(mode, "mode");
        requireNonNull(listener, "listener");
        requireNonNull(control, "control");
    }

    /** A plain copy into a new or replaced file (or a fresh, zeroed device), not verified. */
    public static CopyRequest of(Path source, Path target) {
        return new CopyRequest(source, target, true, false, CopyMode.ALL_DATA, CopyListener.NONE, new CopyControl());
    }

    public CopyRequest verified() {
        return new CopyRequest(source, target, targetIsZero, true, mode, listener, control);
    }

    public CopyRequest withMode(CopyMode newMode) {
        return new CopyRequest(source, target, targetIsZero, verify, newMode, listener, control);
    }

    public CopyRequest withListener(CopyListener newListener) {
        return new CopyRequest(source, target, targetIsZero, verify, mode, newListener, control);
    }

    public CopyRequest withTargetIsZero(boolean zero) {
        return new CopyRequest(source, target, zero, verify, mode, listener, control);
    }

    public CopyRequest withControl(CopyControl newControl) {
        return new CopyRequest(source, target, targetIsZero, verify, mode, listener, newControl);
    }
}
