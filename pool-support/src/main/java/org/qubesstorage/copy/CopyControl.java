package org.qubesstorage.copy;

import java.util.concurrent.CancellationException;

/** Lets another thread cancel a running copy; the copy then throws {@link CancellationException}. */
public final class CopyControl {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    void checkCancelled() {
        if (cancelled) {
            throw new CancellationException("copy cancelled");
        }
    }
}
