package org.qubesstorage.migrate;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named points in a run where a crash matters (after each journal record, halfway through each
 * copy, between writing and renaming each qubes.xml), numbered in the order a run reaches them.
 * Inert unless the system property {@value #PROPERTY} is set: {@code trace} prints each point to
 * stderr; a number {@code N} prints the N-th and stops the run there (the thread sleeps) so a test
 * can kill the process at exactly that point with SIGKILL.
 */
final class Checkpoints {
    static final String PROPERTY = "qvm-to-lvm.pause-at";
    private static final AtomicInteger REACHED = new AtomicInteger();

    private Checkpoints() {}

    static void reach(String name) {
        String setting = System.getProperty(PROPERTY);
        if (setting == null) {
            return;
        }
        int n = REACHED.incrementAndGet();
        if (setting.equals("trace")) {
            System.err.println("CHECKPOINT " + n + " " + name);
            System.err.flush();
            return;
        }
        if (Integer.toString(n).equals(setting)) {
            System.err.println("CHECKPOINT " + n + " " + name + " PAUSED");
            System.err.flush();
            while (true) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    // keep waiting for the kill
                }
            }
        }
    }
}
