package org.qubesstorage.migrate;

import java.util.Arrays;
import java.util.Optional;

/** The kind of a journal line: the step it announces or confirms. Its {@link #wireName()} is what the journal says. */
enum JournalStep {
    /** A new run begins: carries the plan, the backup of qubes.xml and the options that change what is done. */
    RUN("run"),
    /** {@code --resume} takes the run over (its pid, for temporary files it may leave). */
    RESUME("resume"),
    /** A qubes.xml save is about to replace the file (its SHA-256: an interrupted save is recognised by it). */
    XML_SAVING("xml-saving"),
    /** That save completed. */
    XML_SAVED("xml-saved"),
    /** A volume's import begins (a new volume may exist from here on). */
    IMPORT_STARTED("import-started"),
    /** A volume was copied, verified and committed (its result). */
    COMMITTED("committed"),
    /** A domain failed; its new volumes were removed (the reason). */
    DOMAIN_FAILED("domain-failed"),
    /** A source image was removed ({@code --remove-source}). */
    SOURCE_REMOVED("source-removed"),
    /** A source image was kept although {@code --remove-source} was given (the reason). */
    SOURCE_KEPT("source-kept"),
    /** The run reached its end. */
    DONE("done"),
    /** {@code --rollback} begins (its pid). */
    ROLLBACK_STARTED("rollback-started"),
    /** The rollback completed. */
    ROLLED_BACK("rolled-back");

    private final String wireName;

    JournalStep(String wireName) {
        this.wireName = wireName;
    }

    String wireName() {
        return wireName;
    }

    /** The step a journal line names; empty for a name this build does not know (a later build's journal). */
    static Optional<JournalStep> ofWireName(String name) {
        return Arrays.stream(values()).filter(s -> s.wireName.equals(name)).findFirst();
    }
}
