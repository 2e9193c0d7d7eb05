package org.qubesstorage.overlay.catalog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.spi.StorageException;

/**
 * One overlay volume's directory ({@code <dir_path>/<vid>}): its committed revisions
 * {@code r<N>.img} (a base) or {@code r<N>.cow} with {@code r<N>.parent} (a layer), a running
 * session {@code run.cow}, a session being committed as revision N {@code r<N>.session}, and
 * {@code *.tmp} (or {@code *~link}) files an interrupted write left.
 *
 * <p>A revision is committed when its last file lands: a base's image, a layer's parent file (its
 * store is renamed into place first). Every landing is a durable rename, so after a crash a
 * revision is either whole or not there; a store without its parent file is an interrupted commit
 * and is listed by {@link #incomplete()}. Committed files are never written again: a revert links
 * them under a new number instead.
 */
public record VolumeDir(Path dir) {
    private static final Pattern REVISION = Pattern.compile("\\Ar([1-9][0-9]{0,8})\\.(img|cow|parent)\\z");
    private static final Pattern SET_ASIDE = Pattern.compile("\\Ar([1-9][0-9]{0,8})\\.session\\z");

    public Path image(int n) {
        return dir.resolve("r" + n + ".img");
    }

    public Path store(int n) {
        return dir.resolve("r" + n + ".cow");
    }

    public Path parentFile(int n) {
        return dir.resolve("r" + n + ".parent");
    }

    /** The store of the running session: present while the volume runs (or after a crash, until recovered). */
    public Path session() {
        return dir.resolve("run.cow");
    }

    /** The revision a running snapshot session sits on (its source's, recorded at start). */
    public Path sessionParentFile() {
        return dir.resolve("run.parent");
    }

    /** The revision {@link #sessionParentFile()} records, if a session is recorded. */
    public Optional<RevisionRef> sessionParent() {
        return Files.exists(sessionParentFile(), LinkOption.NOFOLLOW_LINKS) ? Optional.of(readParent(sessionParentFile()))
                : Optional.empty();
    }

    /** Records, durably, the revision a snapshot session sits on. */
    public void writeSessionParent(RevisionRef parent) {
        writeParent(sessionParentFile(), parent);
    }

    /** The name of a session while it is committed as revision {@code n}. */
    public Path setAside(int n) {
        return dir.resolve("r" + n + ".session");
    }

    /** The revisions sessions were set aside for and not yet removed (an interrupted commit), in order. */
    public List<Integer> setAsideSessions() {
        List<Integer> out = new ArrayList<>();
        for (Path p : list()) {
            Matcher m = SET_ASIDE.matcher(p.getFileName().toString());
            if (m.matches()) {
                out.add(Integer.parseInt(m.group(1)));
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** A temporary name beside the volume's files, for a file being written. */
    public Path temporary(String purpose) {
        return dir.resolve(purpose + ".tmp");
    }

    /** The committed revisions, oldest first. */
    public List<StoredRevision> revisions() {
        // Revision number -> the suffixes its files have (img, cow, parent).
        TreeMap<Integer, Set<String>> found = new TreeMap<>();
        for (Path p : list()) {
            Matcher m = REVISION.matcher(p.getFileName().toString());
            if (m.matches()) {
                found.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new HashSet<>()).add(m.group(2));
            }
        }
        List<StoredRevision> out = new ArrayList<>();
        found.forEach((n, kinds) -> {
            boolean hasImage = kinds.contains("img");
            boolean hasStore = kinds.contains("cow");
            boolean hasParent = kinds.contains("parent");
            if (hasImage && (hasStore || hasParent)) {
                throw StorageException.invalidConfiguration("Revision " + n + " in " + dir + " is both a base image and a layer");
            }
            if (hasImage) {
                out.add(new StoredRevision(n, image(n), Optional.empty(), modified(image(n))));
            } else if (hasParent) {
                if (!hasStore) {
                    throw StorageException.invalidConfiguration("Revision " + n + " in " + dir + " names its parent but has no store "
                            + store(n));
                }
                out.add(new StoredRevision(n, store(n), Optional.of(readParent(parentFile(n))), modified(parentFile(n))));
            }
            // a store alone: an interrupted commit (incomplete())
        });
        return out;
    }

    /** The newest committed revision. */
    public Optional<StoredRevision> current() {
        List<StoredRevision> r = revisions();
        return r.isEmpty() ? Optional.empty() : Optional.of(r.getLast());
    }

    /** What an interrupted write left: temporary files and stores whose commit did not finish. */
    public List<Path> incomplete() {
        List<Path> out = new ArrayList<>();
        for (Path p : list()) {
            String name = p.getFileName().toString();
            Matcher m = REVISION.matcher(name);
            if (name.endsWith(".tmp") || name.endsWith("~link")) {
                out.add(p);
            } else if (m.matches() && m.group(2).equals("cow") && !Files.exists(parentFile(Integer.parseInt(m.group(1))))) {
                out.add(p);
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Commits {@code image} (complete and durable) as base revision {@code n}. */
    public void commitBase(int n, Path image) {
        requireFree(n);
        DurableFiles.rename(image, image(n));
    }

    /** Commits {@code store} (complete and durable) as layer revision {@code n} over {@code parent}. */
    public void commitLayer(int n, Path store, RevisionRef parent) {
        placeStore(n, store, false);
        commitParent(n, parent);
    }

    /**
     * Puts {@code store} (complete and durable) in place as layer revision {@code n}'s store, renamed
     * or, with {@code link}, hard-linked; the revision is not committed until {@link #commitParent}.
     */
    public void placeStore(int n, Path store, boolean link) {
        requireFree(n);
        if (link) {
            DurableFiles.hardLink(store, store(n));
        } else {
            DurableFiles.rename(store, store(n));
        }
    }

    /** Commits layer revision {@code n}, whose store is in place, over {@code parent}: its parent file lands. */
    public void commitParent(int n, RevisionRef parent) {
        if (!Files.exists(store(n), LinkOption.NOFOLLOW_LINKS) || Files.exists(parentFile(n), LinkOption.NOFOLLOW_LINKS)) {
            throw StorageException.invalidConfiguration("Revision " + n + " in " + dir + " cannot be committed: its store is not"
                    + " in place or it is committed already");
        }
        writeParent(parentFile(n), parent);
    }

    /**
     * Commits revision {@code from}'s content again as revision {@code n} (a revert): hard links,
     * so nothing is copied and the old revision stays as it was.
     */
    public void commitCopyOf(int from, int n) {
        requireFree(n);
        StoredRevision r = revisions().stream().filter(x -> x.number() == from).findFirst()
                .orElseThrow(() -> StorageException.notFound("No revision " + from + " in " + dir));
        if (r.isLayer()) {
            DurableFiles.hardLink(store(from), store(n));
            writeParent(parentFile(n), r.parent().orElseThrow());
        } else {
            DurableFiles.hardLink(image(from), image(n));
        }
    }

    /** Removes revision {@code n}: its commit point first (a layer's parent file), so a crash leaves it incomplete, never half-there. */
    public void remove(int n) {
        DurableFiles.delete(parentFile(n));
        DurableFiles.delete(store(n));
        DurableFiles.delete(image(n));
    }

    private void requireFree(int n) {
        for (Path p : List.of(image(n), store(n), parentFile(n))) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new StorageException(org.qubesstorage.spi.ErrorCode.ALREADY_EXISTS, "Revision " + n + " exists already: " + p);
            }
        }
    }

    private void writeParent(Path file, RevisionRef parent) {
        if (parent.vid().contains("\n")) {
            throw StorageException.invalidArgument("A vid has no line breaks: " + parent.vid());
        }
        Path tmp = temporary(file.getFileName().toString());
        try {
            Files.writeString(tmp, "vid=" + parent.vid() + "\nrevision=" + parent.revision() + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + tmp + ": " + e.getMessage(), e);
        }
        DurableFiles.fsyncFile(tmp);
        DurableFiles.rename(tmp, file);
    }

    private RevisionRef readParent(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() == 2 && lines.get(0).startsWith("vid=") && lines.get(1).startsWith("revision=")) {
                return new RevisionRef(lines.get(0).substring(4), Integer.parseInt(lines.get(1).substring(9)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            // falls through to the refusal below
        }
        throw StorageException.invalidConfiguration("Damaged parent file " + file + ": expected vid=... and revision=N");
    }

    private static java.time.Instant modified(Path p) {
        try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    private List<Path> list() {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }
}
