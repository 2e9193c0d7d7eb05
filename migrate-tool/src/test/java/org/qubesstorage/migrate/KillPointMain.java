package org.qubesstorage.migrate;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.qubesstorage.console.QubesdGuard;

/**
 * The tool as a process a test can kill at a checkpoint: {@code KillPointMain trace ARGS...} prints
 * each checkpoint the run passes to stderr ({@code CHECKPOINT n name}); {@code KillPointMain N ARGS...}
 * prints the N-th with {@code PAUSED} and stops the run there (its thread sleeps) so that the test
 * can SIGKILL it at exactly that point. The observer is injected; the tool itself has no such hook.
 */
public final class KillPointMain {
    private KillPointMain() {}

    public static void main(String[] args) {
        String mode = args[0];
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        RunObserver observer = new RunObserver() {
            private final AtomicInteger reached = new AtomicInteger();

            @Override
            public void checkpoint(String name) {
                int n = reached.incrementAndGet();
                if (mode.equals("trace")) {
                    err.println("CHECKPOINT " + n + " " + name);
                } else if (Integer.toString(n).equals(mode)) {
                    err.println("CHECKPOINT " + n + " " + name + " PAUSED");
                    while (true) {
                        try {
                            Thread.sleep(60_000);
                        } catch (InterruptedException e) {
                            // keep waiting for the kill
                        }
                    }
                }
            }
        };
        QvmToLvm tool = new QvmToLvm(Instant.now(), QubesdGuard.system(), observer);
        System.exit(QvmToLvm.run(Arrays.copyOfRange(args, 1, args.length),
                new PrintWriter(System.out, true, StandardCharsets.UTF_8), err, tool));
    }
}
