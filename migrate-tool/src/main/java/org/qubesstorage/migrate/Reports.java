package org.qubesstorage.migrate;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.qubesstorage.migrate.MigrationPlan.DomainPlan;
import org.qubesstorage.migrate.MigrationPlan.SpaceCheck;
import org.qubesstorage.migrate.MigrationPlan.VolumePlan;

/** The human-readable plan, summary and R4 entries. */
final class Reports {
    private Reports() {}

    static String size(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    static void plan(PrintWriter w, MigrationPlan plan) {
        w.printf("Plan: %s (%s) -> pool %s%s%n", plan.qubesXml(), plan.legacy() ? "R2/R3 QubesVmCollection" : "R4",
                plan.targetPool(), plan.addedPool() == null ? "" : " (added to qubes.xml: " + plan.addedPool() + ")");
        for (DomainPlan d : plan.domains()) {
            w.printf("  %s (%s): %s%s%n", d.name(), d.klass(), d.status().name().toLowerCase(Locale.ROOT).replace('_', ' '),
                    d.reason() == null ? "" : " - " + d.reason());
            for (VolumePlan v : d.volumes()) {
                String from = (v.owner() == null ? "" : "(" + v.owner() + ") ") + (v.sourcePool() == null ? "" : v.sourcePool() + ":" + v.sourceVid());
                switch (v.action()) {
                    case COPY -> w.printf("    %-9s copy     %s %s (%s apparent, %s allocated) -> %s%n", v.name(), from,
                            v.sourcePath(), size(v.apparentBytes()), size(v.allocatedBytes()), v.targetVid());
                    case REPOINT -> w.printf("    %-9s re-point %s -> %s (%s)%n", v.name(), from, v.targetVid(), v.reason());
                    case LEAVE -> w.printf("    %-9s leave    %s (%s)%n", v.name(), from, v.reason());
                }
            }
            d.notes().forEach(n -> w.println("    note: " + n));
        }
        SpaceCheck s = plan.space();
        w.printf("Space: %s of data to write at most, %s of new volumes; pool %s%s: %s%n", size(s.dataBytes()),
                size(s.virtualBytes()), plan.targetPool(),
                s.poolSize() == null ? "" : " has " + size(s.poolSize()) + (s.poolUsage() == null ? "" : ", " + size(s.poolUsage()) + " used"),
                s.note() != null ? s.note() : s.refusal() == null ? "fits" : "DOES NOT FIT: " + s.refusal());
        if (plan.legacy()) {
            w.println("This is a legacy R2/R3 file: it is never written. The volumes are copied, and the R4 <volume-config>"
                    + " entries to use are printed at the end.");
        }
        w.flush();
    }

    static void summary(PrintWriter w, Migrator.Result r) {
        if (!r.volumes().isEmpty()) {
            // TIME is copy and verification together; VERIFY is the read-back part of it.
            w.printf("%-20s %-9s %10s %10s %10s %8s %8s %8s  %s%n", "DOMAIN", "VOLUME", "APPARENT", "READ", "WRITTEN", "TIME",
                    "VERIFY", "MB/s", "VERIFIED");
            long apparent = 0;
            long read = 0;
            long written = 0;
            long millis = 0;
            long verifyMillis = 0;
            for (VolumeResult v : r.volumes()) {
                w.printf(Locale.ROOT, "%-20s %-9s %10s %10s %10s %7.1fs %7.1fs %8.1f  %s%n", v.domain(), v.volume(),
                        size(v.apparentBytes()), size(v.bytesRead()), size(v.bytesWritten()), v.millis() / 1000.0,
                        v.verifyMillis() / 1000.0, v.megabytesPerSecond(),
                        shortDigest(v.digest()) + (v.fallback() == null ? "" : " (fs-aware fell back: " + v.fallback() + ")"));
                apparent += v.apparentBytes();
                read += v.bytesRead();
                written += v.bytesWritten();
                millis += v.millis();
                verifyMillis += v.verifyMillis();
            }
            w.printf(Locale.ROOT, "%-20s %-9s %10s %10s %10s %7.1fs %7.1fs %8.1f  %d of %d%n", "total", "", size(apparent),
                    size(read), size(written), millis / 1000.0, verifyMillis / 1000.0,
                    millis == 0 ? 0 : apparent / 1e6 / (millis / 1000.0), r.volumes().size(), r.volumes().size());
        }
        for (Migrator.DomainOutcome d : r.domains()) {
            w.printf(Locale.ROOT, "  %-20s %s%s%s%n", d.domain(), d.outcome(),
                    d.millis() == null ? "" : String.format(Locale.ROOT, " in %.1f s", d.millis() / 1000.0),
                    d.reason() == null ? "" : " - " + d.reason());
        }
        r.removedSources().forEach(s -> w.println("  source removed: " + s));
        r.keptSources().forEach(s -> w.println("  source kept: " + s));
        w.flush();
    }

    /**
     * The run's wall time (from the process's start when run as a command: the launcher's
     * {@code exec} keeps the process, so the JVM's start is in it) and how much of it the domains'
     * migrations took: the rest is what the run spends once.
     */
    static void elapsed(PrintWriter w, long millis, Migrator.Result r) {
        long domains = r.domains().stream().map(Migrator.DomainOutcome::millis).filter(Objects::nonNull).mapToLong(Long::longValue).sum();
        w.printf(Locale.ROOT, "Elapsed: %.1f s; %.1f s of it migrating domains, %.1f s once per run%n",
                millis / 1000.0, domains / 1000.0, (millis - domains) / 1000.0);
        w.flush();
    }

    static String shortDigest(String digest) {
        return digest == null ? "-" : "yes, " + digest.substring(0, Math.min(digest.length(), 19)) + "...";
    }

    /** The R4 {@code <volume-config>} a legacy file's domains would get. */
    static void legacyEntries(PrintWriter w, Map<String, Map<String, Map<String, String>>> entries) {
        if (entries.isEmpty()) {
            return;
        }
        w.println("R4 volume-config entries for the migrated domains (put them into the R4 qubes.xml, e.g. with qvm-volume or qubesd):");
        for (var d : entries.entrySet()) {
            w.println("  <!-- " + d.getKey() + " -->");
            w.println("  <volume-config>");
            for (var v : d.getValue().entrySet()) {
                StringBuilder sb = new StringBuilder("    <volume");
                v.getValue().forEach((k, val) -> sb.append(' ').append(k).append("=\"").append(escape(val)).append('"'));
                w.println(sb.append("/>"));
            }
            w.println("  </volume-config>");
        }
        w.flush();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace("\"", "&quot;");
    }
}
