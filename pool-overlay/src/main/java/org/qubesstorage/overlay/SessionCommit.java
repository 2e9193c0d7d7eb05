package org.qubesstorage.overlay;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.overlay.catalog.RevisionRef;
import org.qubesstorage.overlay.catalog.StoredRevision;
import org.qubesstorage.overlay.catalog.VolumeDir;
import org.qubesstorage.overlay.cow.CowStore;
import org.qubesstorage.overlay.cow.LayerMerge;
import org.qubesstorage.spi.StorageException;

/**
 * Commits a stopped run's session ({@code run.cow}) as its volume's next revision N, and recovers
 * a commit a killed process left half-done. The session is first renamed to the revision it
 * becomes ({@code r<N>.session}); N's store is put in place (over a base, the session itself,
 * linked; over a layer, the session folded into that layer); N's parent file commits it; the
 * set-aside name goes last. Until the parent file lands, the session survives under a name of its
 * own, so a kill after any step loses nothing: {@link #recover} makes it the dirty run it was again
 * (the next stop commits it), or after the commit point removes what is left of it.
 *
 * <p>Renaming the session straight to {@code r<N>.cow} would not do: a store without its parent
 * file is an interrupted write, which recovery removes, and with it the run's data.
 */
final class SessionCommit {
    private SessionCommit() {}

    /**
     * Commits the session of the volume in {@code files}, whose committed state is {@code current}
     * (revision {@code currentRef}), reporting each durable step to {@code steps}. The caller holds
     * the volume's and the pool's locks and has torn the run's devices down.
     */
    static void commit(VolumeDir files, StoredRevision current, RevisionRef currentRef, long originBytes,
                       Consumer<CommitStep> steps) {
        int n = current.number() + 1;
        Path aside = files.setAside(n);
        DurableFiles.rename(files.session(), aside);
        steps.accept(CommitStep.SESSION_SET_ASIDE);
        RevisionRef parent;
        if (current.parent().isEmpty()) {
            // Over a base, the session is the new layer as it is: linked, so it keeps its own name.
            files.placeStore(n, aside, true);
            parent = currentRef;
        } else {
            Path merged = files.temporary("commit");
            DurableFiles.delete(merged);
            try (CowStore layer = CowStore.open(current.data(), false); CowStore session = CowStore.open(aside, false)) {
                LayerMerge.merge(layer, session, merged, originBytes);
            } catch (RuntimeException e) {
                DurableFiles.delete(merged);
                throw e;
            }
            files.placeStore(n, merged, false);
            parent = current.parent().get();
        }
        steps.accept(CommitStep.STORE_IN_PLACE);
        files.commitParent(n, parent);
        steps.accept(CommitStep.COMMITTED);
        DurableFiles.delete(aside);
        steps.accept(CommitStep.SESSION_REMOVED);
    }

    /** Whether a killed commit left a session whose revision is not committed (the volume is dirty). */
    static boolean interrupted(VolumeDir files) {
        return files.setAsideSessions().stream().anyMatch(n -> !Files.exists(files.parentFile(n), LinkOption.NOFOLLOW_LINKS));
    }

    /**
     * Finishes or undoes what a killed commit left in {@code files}: a set-aside session whose
     * revision was committed is removed; one whose revision was not becomes the run's session again
     * (its uncommitted store removed). Returns whether there was anything to recover. The caller
     * holds the volume's and the pool's locks.
     */
    static boolean recover(VolumeDir files) {
        boolean found = false;
        for (int n : files.setAsideSessions()) {
            found = true;
            if (Files.exists(files.parentFile(n), LinkOption.NOFOLLOW_LINKS)) {
                DurableFiles.delete(files.setAside(n));
                continue;
            }
            if (Files.exists(files.session(), LinkOption.NOFOLLOW_LINKS)) {
                throw StorageException.invalidConfiguration("Both a run (" + files.session() + ") and an interrupted commit ("
                        + files.setAside(n) + ") are in " + files.dir() + ": remove the one you do not want");
            }
            DurableFiles.delete(files.store(n));
            DurableFiles.rename(files.setAside(n), files.session());
        }
        return found;
    }
}
