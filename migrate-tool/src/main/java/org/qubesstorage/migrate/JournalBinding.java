package org.qubesstorage.migrate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * A journal belongs to the qubes.xml its run was planned on. {@code --resume} or
 * {@code --rollback} with another file (another installation, a copy of this one elsewhere) would
 * remove volumes that file still uses and mark the real journal finished, losing its undo; so
 * both are refused, before anything is touched, unless the file given is the journaled file and
 * its content is one the run started from or wrote, or a later edit of such a file (the rollback
 * then restores only the attributes the run changed).
 */
final class JournalBinding {
    private JournalBinding() {}

    static void require(JournalState state, Installation inst, Path journalFile) {
        MigrationPlan plan = state.plan();
        Path recorded = Path.of(plan.qubesXml());
        Path given = inst.file().path();
        if (!sameFile(recorded, given)) {
            throw ToolException.input("The journal " + journalFile + " belongs to " + recorded + ", not to " + given
                    + ": nothing was changed (give --qubes-xml " + recorded + ", or the journal of " + given + ")");
        }
        Set<String> known = new HashSet<>(state.saving().values());
        known.add(plan.originalSha256());
        state.lastWrittenSha().ifPresent(known::add);
        String now = Hashing.sha256(given);
        if (!known.contains(now) && !state.saved().isEmpty() && plan.addedPool() != null
                && inst.model().pool(plan.targetPool()).isEmpty()) {
            // The run added its pool with its first save; a file without that pool never had it.
            throw ToolException.input("The journal " + journalFile + " records that its run added pool " + plan.targetPool()
                    + " to " + given + ", which has no such pool: it is not the file this run changed; nothing was changed");
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
        } catch (IOException e) {
            // fall through to the textual comparison
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }
}
