package org.qubesstorage.migrate;

import java.util.Locale;

/** What became of a selected domain in a run; written in lower case in the JSON result. */
public enum Outcome {
    /** Its volumes were copied or re-pointed and qubes.xml switched. */
    MIGRATED,
    /** Nothing to move (already in the target pool). */
    UNCHANGED,
    /** Left out: running, or refused by the plan; the reason is given. */
    SKIPPED,
    /** A step failed; the reason is given and its new volumes were removed. */
    FAILED;

    /** Whether the run is partial because of this domain (exit code 1). */
    public boolean incomplete() {
        return this == SKIPPED || this == FAILED;
    }

    /** Its name in the {@code --json} result: {@code migrated}, {@code skipped}, ... */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
