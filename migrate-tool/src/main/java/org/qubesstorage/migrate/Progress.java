package org.qubesstorage.migrate;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of the copies: bytes, rate and ETA per volume and overall. On a terminal two live bars
 * (the progressbar library); otherwise a plain line every few seconds and one per finished volume,
 * which is what a log or a pipe wants.
 */
abstract class Progress implements AutoCloseable {
    /** Begins the whole run: {@code totalBytes} of source data to read in {@code volumes} copies. */
    abstract void begin(long totalBytes, int volumes);

    /** Begins one copy of {@code bytes} source data. */
    abstract void volume(String label, long bytes);

    /** Bytes of the current copy done so far (called from the copy's worker threads). */
    abstract void advance(long done, long total);

    /** Ends the current copy. */
    abstract void volumeDone(String outcome);

    @Override
    public abstract void close();

    static Progress forStream(PrintStream err, boolean terminal) {
        return terminal ? new Bars(err) : new Lines(err, 5_000);
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /** Two progress bars on a terminal. */
    static final class Bars extends Progress {
        private final PrintStream out;
        private ProgressBar overall;
        private ProgressBar current;
        private long before;

        Bars(PrintStream out) {
            this.out = out;
        }

        private ProgressBar bar(String name, long max) {
            return new ProgressBarBuilder().setTaskName(name).setInitialMax(Math.max(max, 1)).setUnit("MiB", 1 << 20)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).showSpeed().setUpdateIntervalMillis(250)
                    .setConsumer(new InteractiveConsoleProgressBarConsumer(out)).build();
        }

        @Override
        synchronized void begin(long totalBytes, int volumes) {
            overall = bar("all " + volumes + " volumes", totalBytes);
        }

        @Override
        synchronized void volume(String label, long bytes) {
            current = bar(label, bytes);
        }

        @Override
        synchronized void advance(long done, long total) {
            if (current != null) {
                current.maxHint(Math.max(total, 1));
                current.stepTo(done);
            }
            if (overall != null) {
                overall.stepTo(before + done);
            }
        }

        @Override
        synchronized void volumeDone(String outcome) {
            if (current != null) {
                before += current.getCurrent();
                current.setExtraMessage(outcome);
                current.close();
                current = null;
            }
        }

        @Override
        public synchronized void close() {
            if (overall != null) {
                overall.close();
                overall = null;
            }
        }
    }

    /** Plain periodic lines for logs and pipes. */
    static final class Lines extends Progress {
        private final PrintStream out;
        private final long intervalMillis;
        private long total;
        private long before;
        private long started;
        private long volumeStarted;
        private long lastPrinted;
        private String label = "";
        private long done;

        Lines(PrintStream out, long intervalMillis) {
            this.out = out;
            this.intervalMillis = intervalMillis;
        }

        @Override
        synchronized void begin(long totalBytes, int volumes) {
            total = totalBytes;
            started = System.nanoTime();
            out.println("copying " + volumes + " volumes, " + mib(totalBytes) + " of data");
        }

        @Override
        synchronized void volume(String l, long bytes) {
            label = l;
            done = 0;
            volumeStarted = System.nanoTime();
            lastPrinted = System.currentTimeMillis();
        }

        @Override
        synchronized void advance(long d, long t) {
            done = d;
            long now = System.currentTimeMillis();
            if (now - lastPrinted >= intervalMillis) {
                lastPrinted = now;
                double secs = (System.nanoTime() - started) / 1e9;
                long all = before + d;
                double rate = secs > 0 ? all / secs : 0;
                long eta = rate > 0 ? Math.round((total - all) / rate) : -1;
                out.printf(Locale.ROOT, "  %s: %d%% of %s; all: %d%% at %.1f MB/s, ETA %s%n", label,
                        t > 0 ? d * 100 / t : 100, mib(t), total > 0 ? all * 100 / total : 100, rate / 1e6,
                        eta < 0 ? "?" : eta + " s");
            }
        }

        @Override
        synchronized void volumeDone(String outcome) {
            before += done;
            double secs = (System.nanoTime() - volumeStarted) / 1e9;
            out.printf(Locale.ROOT, "  %s: %s in %.1f s%n", label, outcome, secs);
        }

        @Override
        public void close() {
            // nothing to release
        }
    }
}
