package org.qubesstorage.linux;

/**
 * Binds this package's libc calls ahead of their first use.
 *
 * <p>Why: each call's downcall handle is built on first use, and building one generates classes
 * that no CDS or AOT cache holds, so a short-lived tool would bind them one function at a time on
 * its main thread, between reading qubes.xml and the first copied byte. A short-lived
 * tool calls {@link #bindAll()} on a second thread as it starts, so that this work overlaps with
 * its own start-up instead.
 *
 * <p>Thread-safe: two threads binding the same function at once share one result (the JVM's class
 * initialisation lock); no other lock is taken.
 */
public final class NativeCalls {
    private NativeCalls() {}

    /**
     * Binds every libc function {@link NativeFile} and its siblings call, on the calling thread.
     * Idempotent and cheap once done. Throws {@link UnsatisfiedLinkError} (or the error the JVM
     * wraps it in) where libc lacks one of them, as the first real call would have.
     */
    public static void bindAll() {
        Libc.bindAll();
    }
}
