package org.qubesstorage.migrate;

import org.qubesstorage.console.ExitStatus;
import org.qubesstorage.spi.StorageException;

/** The tool's exit codes, and how a driver's {@link StorageException} maps onto them. */
public final class ExitCodes {
    /** Everything selected was migrated (or rolled back), or a dry run planned it. */
    public static final int DONE = ExitStatus.OK;
    /** Some domains were skipped or failed; they are listed. */
    public static final int PARTIAL = 1;
    /** Bad usage or bad input (qubes.xml, pools, journal), or an internal error (reported with a trace). */
    public static final int INPUT = ExitStatus.INPUT;
    /** Refused: the target pool has no room, or every selected domain is in use; nothing was written. */
    public static final int REFUSED = ExitStatus.REFUSED;
    /**
     * The system failed: a storage command, the disk or a driver ({@code ErrorType.BACKEND}). What the
     * run did is in its journal; after fixing the cause, {@code --resume} or {@code --rollback}.
     */
    public static final int BACKEND = ExitStatus.BACKEND;

    /** The line {@code --help} shows. */
    static final String HELP = "Exit codes: 0 done, 1 partial (skipped or failed domains are listed), 2 bad usage or input,"
            + " 3 refused (no room in the target pool, or every selected domain in use), 4 backend failure"
            + " (a storage command or the disk failed; then --resume or --rollback).";

    private ExitCodes() {}

    /**
     * A driver's failure that ends the run: by its {@code ErrorType}, the request or its input was
     * wrong (2), space ran short (3), or the backend failed (4).
     */
    public static int of(StorageException e) {
        return ExitStatus.of(e);
    }
}
