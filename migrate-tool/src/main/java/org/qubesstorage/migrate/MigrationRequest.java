package org.qubesstorage.migrate;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What one run of the migration service is asked to do: which installation, and one of a new run,
 * {@code --resume} or {@code --rollback}. The command line builds it from its options after
 * checking that they fit together; the types leave out what cannot (a resume has no target).
 *
 * @param qubesXml the qubes.xml to migrate
 * @param qubesDir where the installation's recorded {@code /var/lib/qubes} lives now, if elsewhere
 * @param journal  the journal, if not {@code qvm-to-lvm.journal} beside qubes.xml
 * @param plugins  a directory of pool driver plugins
 * @param running  domains to treat as running (skipped; checked to exist)
 * @param mode     what to do
 */
record MigrationRequest(Path qubesXml, Optional<Path> qubesDir, Optional<Path> journal, Optional<Path> plugins,
        List<String> running, Mode mode) {
    MigrationRequest {
        requireNonNull(qubesXml, "qubesXml");
        requireNonNull(qubesDir, "qubesDir");
        requireNonNull(journal, "journal");
        requireNonNull(plugins, "plugins");
        running = List.copyOf(running);
        requireNonNull(mode, "mode");
    }

    /** The journal this run reads and writes. */
    Path journalFile() {
        return journal.orElseGet(() -> qubesXml.toAbsolutePath().getParent().resolve("qvm-to-lvm.journal"));
    }

    /** A new run, {@code --resume} or {@code --rollback}. */
    sealed interface Mode permits NewRun, ResumeRun, RollbackRun {}

    /**
     * A new run: plan, and unless {@code dryRun}, carry the plan out.
     *
     * @param vms          the domains named (templates move first)
     * @param all          every domain
     * @param exclude      domains left out
     * @param removeSource delete each old image once its copy is verified and its domain switched
     * @param fsAware      copy only the blocks an ext4 file system uses
     */
    record NewRun(TargetChoice target, List<String> vms, boolean all, List<String> exclude, boolean dryRun,
            boolean removeSource, boolean fsAware) implements Mode {
        public NewRun {
            requireNonNull(target, "target");
            vms = List.copyOf(vms);
            exclude = List.copyOf(exclude);
        }
    }

    /** Continue the run the journal describes. */
    record ResumeRun() implements Mode {}

    /** Undo the run the journal describes. */
    record RollbackRun() implements Mode {}

    /** The pool the volumes move to. */
    sealed interface TargetChoice permits ExistingPool, NewThinPool {}

    /** A pool qubes.xml already has ({@code --pool}). */
    record ExistingPool(String name) implements TargetChoice {
        public ExistingPool {
            requireNonNull(name, "name");
        }
    }

    /**
     * An existing LVM thin pool, added to qubes.xml as an {@code lvm_thin} pool ({@code --vg},
     * {@code --thin-pool}, {@code --pool-name}).
     */
    record NewThinPool(String volumeGroup, String thinPool, Optional<String> poolName) implements TargetChoice {
        public NewThinPool {
            requireNonNull(volumeGroup, "volumeGroup");
            requireNonNull(thinPool, "thinPool");
            requireNonNull(poolName, "poolName");
        }
    }
}
