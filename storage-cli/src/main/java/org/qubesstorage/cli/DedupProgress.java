package org.qubesstorage.cli;

import java.io.PrintStream;
import me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.qubesstorage.dedup.DedupObserver;
import org.qubesstorage.dedup.DedupReport;

/**
 * A deduplication's progress: on a terminal one bar for the scan and one for applying (a log wants
 * no bars), and always when each phase ended, for the report's timings. The bars write to standard
 * error directly, not through the escaping writer: their control sequences are the bar's own, and
 * the task names are fixed.
 */
final class DedupProgress implements DedupObserver, AutoCloseable {
    private final PrintStream terminal;
    private final long started = System.nanoTime();
    private volatile long planned;
    private volatile long ended;
    private ProgressBar bar;

    DedupProgress() {
        this.terminal = System.console() != null && System.console().isTerminal() ? System.err : null;
    }

    /** Seconds from the start to the complete plan (scanning included). */
    double scanSeconds() {
        return (planned - started) / 1e9;
    }

    /** Seconds spent applying the plan; 0 for a dry run. */
    double applySeconds() {
        return ended == 0 ? 0 : (ended - planned) / 1e9;
    }

    private void begin(String task, long bytes) {
        close();
        if (terminal != null) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(bytes, 1)).setUnit("MiB", 1 << 20)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).showSpeed().setUpdateIntervalMillis(250)
                    .setConsumer(new InteractiveConsoleProgressBarConsumer(terminal)).build();
        }
    }

    private void step(long bytes) {
        ProgressBar b = bar;
        if (b != null) {
            b.stepBy(bytes);
        }
    }

    @Override
    public void scanStarted(long bytes) {
        begin("scan", bytes);
    }

    @Override
    public void scanned(long bytes) {
        step(bytes);
    }

    @Override
    public void planned(DedupReport plan) {
        planned = System.nanoTime();
    }

    @Override
    public void applyStarted(long bytes) {
        begin("share", bytes);
    }

    @Override
    public void applied(long bytes) {
        step(bytes);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    /** Marks the end of applying (the run has returned). */
    void finished(boolean applied) {
        if (applied) {
            ended = System.nanoTime();
        }
        close();
    }
}
