package org.qubesstorage.overlay.catalog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.qubesstorage.spi.StorageException;

/**
 * What an overlay pool holds, read from its directory: every volume's committed revisions and which
 * revisions layers sit on. Made fresh for each question (under the pool's lock), so it is never
 * stale: a pool holds hundreds of volumes, and listing their directories costs far less than a
 * cache that could disagree with the disk after a crash.
 *
 * <p>A revision that a layer of any volume sits on, or that a running chain was built over, is
 * <em>pinned</em>: it stays whatever {@code revisions_to_keep} says, and its volume cannot be
 * removed. A layered volume is <em>behind</em> when its parent volume has committed since the
 * revision it sits on.
 */
public final class Catalog {
    /** How deep vids go below the pool's directory ({@code appvms/<vm>/<volume>}). */
    private static final int VID_DEPTH = 3;

    private final Path root;
    private final Map<String, List<StoredRevision>> volumes;

    private Catalog(Path root, Map<String, List<StoredRevision>> volumes) {
        this.root = root;
        this.volumes = volumes;
    }

    /** Reads the pool at {@code root}: every directory up to three levels down that holds revisions is a volume. */
    public static Catalog scan(Path root) {
        Map<String, List<StoredRevision>> volumes = new TreeMap<>();
        if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> dirs = Files.walk(root, VID_DEPTH)) {
                for (Path d : dirs.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                    List<StoredRevision> revs = new VolumeDir(d).revisions();
                    if (!revs.isEmpty()) {
                        volumes.put(root.relativize(d).toString(), revs);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read the pool directory " + root + ": " + e.getMessage(), e);
            }
        }
        return new Catalog(root, volumes);
    }

    /** The directory of volume {@code vid}. */
    public VolumeDir volume(String vid) {
        return new VolumeDir(root.resolve(vid));
    }

    /** The vids of every volume with a committed revision. */
    public Set<String> vids() {
        return volumes.keySet();
    }

    /** The committed revisions of {@code vid}, oldest first; empty when it has none. */
    public List<StoredRevision> revisions(String vid) {
        return volumes.getOrDefault(vid, List.of());
    }

    public Optional<StoredRevision> current(String vid) {
        List<StoredRevision> r = revisions(vid);
        return r.isEmpty() ? Optional.empty() : Optional.of(r.getLast());
    }

    /**
     * The revisions that sit on {@code ref}: layers of any volume (kept revisions too), and the
     * extra pins {@code running} names (the chains running now, which the kernel reads).
     */
    public List<RevisionRef> dependents(RevisionRef ref, Set<RevisionRef> running) {
        List<RevisionRef> out = new ArrayList<>();
        volumes.forEach((vid, revs) -> {
            for (StoredRevision r : revs) {
                if (r.parent().filter(ref::equals).isPresent()) {
                    out.add(new RevisionRef(vid, r.number()));
                }
            }
        });
        if (running.contains(ref)) {
            out.add(ref);
        }
        return out;
    }

    /** Whether anything sits on {@code ref} (see {@link #dependents}). */
    public boolean pinned(RevisionRef ref, Set<RevisionRef> running) {
        return !dependents(ref, running).isEmpty();
    }

    /**
     * The revisions of {@code vid} a commit or a prune may remove: all but the current one and the
     * newest {@code keep} before it, and never a pinned one.
     */
    public List<Integer> prunable(String vid, int keep, Set<RevisionRef> running) {
        List<StoredRevision> revs = revisions(vid);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < revs.size() - 1 - Math.max(keep, 0); i++) {
            RevisionRef ref = new RevisionRef(vid, revs.get(i).number());
            if (!pinned(ref, running)) {
                out.add(ref.revision());
            }
        }
        return out;
    }

    /**
     * Whether {@code vid}'s current revision is a layer on another volume that has committed since:
     * its view is older than its parent's.
     */
    public boolean behind(String vid) {
        return current(vid).flatMap(StoredRevision::parent)
                .filter(p -> !p.vid().equals(vid))
                .map(p -> current(p.vid()).map(c -> c.number() != p.revision()).orElse(true))
                .orElse(false);
    }

    /** What a chain is made of: the base image at the bottom and the layers over it, bottom to top. */
    public record Chain(Path base, List<Level> layers) {
        /** One layer of a chain: which revision it is and its store. */
        public record Level(RevisionRef ref, Path store) {}
    }

    /**
     * The chain of {@code ref}: following each layer's parent down to a base.
     *
     * @throws StorageException when a parent is missing (a damaged pool) or the parents loop
     */
    public Chain chain(RevisionRef ref) {
        LinkedHashMap<RevisionRef, StoredRevision> seen = new LinkedHashMap<>();
        RevisionRef at = ref;
        while (true) {
            RevisionRef here = at;
            StoredRevision r = revisions(here.vid()).stream().filter(x -> x.number() == here.revision()).findFirst()
                    .orElseThrow(() -> StorageException.notFound("Revision " + here + (here.equals(ref) ? "" : ", which " + seenList(seen)
                            + " sits on,") + " does not exist"));
            if (seen.put(here, r) != null) {
                throw StorageException.invalidConfiguration("The parents of " + ref + " form a loop: " + seenList(seen));
            }
            if (r.parent().isEmpty()) {
                List<Chain.Level> levels = new ArrayList<>();
                List<Map.Entry<RevisionRef, StoredRevision>> path = new ArrayList<>(seen.entrySet());
                for (int i = path.size() - 2; i >= 0; i--) {
                    levels.add(new Chain.Level(path.get(i).getKey(), path.get(i).getValue().data()));
                }
                return new Chain(r.data(), levels);
            }
            at = r.parent().get();
        }
    }

    private static String seenList(Map<RevisionRef, StoredRevision> seen) {
        return String.join(" -> ", seen.keySet().stream().map(RevisionRef::toString).toList());
    }
}
