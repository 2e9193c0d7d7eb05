package org.qubesstorage.migrate;

/** The tool's exit codes. */
public final class ExitCodes {
    /** Everything selected was migrated (or rolled back), or a dry run planned it. */
    public static final int DONE = 0;
    /** Some domains were skipped or failed; they are listed. */
    public static final int PARTIAL = 1;
    /** Bad usage or bad input (qubes.xml, pools, journal); nothing was written. */
    public static final int INPUT = 2;
    /** Refused: the target pool has no room, or every selected domain is in use; nothing was written. */
    public static final int REFUSED = 3;

    private ExitCodes() {}
}
