package org.qubesstorage.xml;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Optional;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

/**
 * A {@code qubes.xml} on disk: loaded once, saved safely.
 *
 * <p>Saving takes an exclusive lock on the file (the same {@code fcntl} lock upstream's qubesd
 * takes), refuses if the content changed since it was loaded, writes a temporary file beside it,
 * fsyncs it, gives it the original's mode, owner and group, renames it over the original and fsyncs
 * the directory. Optionally the original is kept as a timestamped backup first. Nothing is written
 * if anything before the rename fails.
 */
public final class QubesXmlFile {
    private static final long MAX_BYTES = QubesXmlParser.MAX_CHARS;

    private final Path path;
    private final byte[] loadedHash;
    private final QubesXmlDocument document;

    private QubesXmlFile(Path path, byte[] loadedHash, QubesXmlDocument document) {
        this.path = path;
        this.loadedHash = loadedHash;
        this.document = document;
    }

    public static QubesXmlFile load(Path path) {
        requireNonNull(path, "path");
        byte[] bytes = readLimited(path);
        return new QubesXmlFile(path, sha256(bytes), QubesXmlDocument.parse(decode(bytes, path), path.toString()));
    }

    public Path path() {
        return path;
    }

    /** The document as loaded. */
    public QubesXmlDocument document() {
        return document;
    }

    /**
     * Saves {@code edited} over the file.
     *
     * @param backupClock when present, the original is first copied to
     *                    {@code qubes.xml.<UTC timestamp>.bak} beside it
     * @return the backup's path, if one was made
     * @throws StorageException {@link ErrorCode#BUSY} if the file changed since it was loaded
     */
    public Optional<Path> save(QubesXmlDocument edited, Optional<Clock> backupClock) {
        return save(edited, backupClock, () -> {});
    }

    /**
     * {@link #save(QubesXmlDocument, Optional)}, calling {@code beforeReplace} once the new content
     * is durable in the temporary file and just before it replaces the original (with the lock
     * held): the one moment a crash leaves both files behind, which crash tests aim at.
     */
    public Optional<Path> save(QubesXmlDocument edited, Optional<Clock> backupClock, Runnable beforeReplace) {
        requireNonNull(edited, "edited");
        requireNonNull(beforeReplace, "beforeReplace");
        byte[] newBytes = edited.text().getBytes(StandardCharsets.UTF_8);
        Path dir = path.toAbsolutePath().getParent();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock lock = ch.lock()) {
            byte[] current = readAll(ch);
            if (!Arrays.equals(sha256(current), loadedHash)) {
                throw StorageException.busy("Someone else modified " + path + " since it was loaded; load it again");
            }
            Optional<Path> backup = Optional.empty();
            if (backupClock.isPresent()) {
                String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                        .format(backupClock.get().instant().atOffset(ZoneOffset.UTC));
                Path b = dir.resolve(path.getFileName() + "." + stamp + ".bak");
                writeDurably(b, current, path);
                backup = Optional.of(b);
            }
            Path tmp = dir.resolve("." + path.getFileName() + ".tmp-" + ProcessHandle.current().pid());
            writeDurably(tmp, newBytes, path);
            beforeReplace.run();
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            DurableFiles.fsyncDirectory(dir);
            return backup;
        } catch (IOException e) {
            throw StorageException.backend("Cannot save " + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code bytes} to a new file with {@code like}'s mode, owner and group, fsynced. */
    private static void writeDurably(Path target, byte[] bytes, Path like) throws IOException {
        Files.deleteIfExists(target);
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                out.write(buf);
            }
            PosixFileAttributeView view = Files.getFileAttributeView(target, PosixFileAttributeView.class);
            PosixFileAttributes orig = Files.readAttributes(like, PosixFileAttributes.class);
            view.setPermissions(orig.permissions());
            UserPrincipal owner = orig.owner();
            GroupPrincipal group = orig.group();
            try {
                view.setOwner(owner);
                view.setGroup(group);
            } catch (IOException e) {
                // Not root: the file keeps our own owner, as any editor would leave it.
            }
            out.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(target);
            throw e;
        }
    }

    private static byte[] readLimited(Path path) {
        if (path.toString().isEmpty()) {
            throw StorageException.invalidConfiguration("No qubes.xml given: the path is empty");
        }
        if (Files.isDirectory(path)) {
            throw StorageException.invalidConfiguration(path + " is a directory, not a qubes.xml");
        }
        try {
            long size = Files.size(path);
            if (size > MAX_BYTES) {
                throw StorageException.invalidConfiguration(path + ": larger than " + (MAX_BYTES >> 20)
                        + " MiB; refusing to read it");
            }
            return Files.readAllBytes(path);
        } catch (java.nio.file.NoSuchFileException e) {
            throw StorageException.notFound(path + " does not exist");
        } catch (java.nio.file.AccessDeniedException e) {
            throw StorageException.invalidConfiguration("Cannot read " + path + ": permission denied");
        } catch (IOException e) {
            throw StorageException.backend("Cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static byte[] readAll(FileChannel ch) throws IOException {
        long size = ch.size();
        if (size > MAX_BYTES) {
            throw StorageException.invalidConfiguration("qubes.xml grew beyond " + (MAX_BYTES >> 20) + " MiB");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        ch.position(0);
        while (buf.hasRemaining() && ch.read(buf) >= 0) {
            // read on
        }
        return buf.array();
    }

    /**
     * The file's text. qubesd writes UTF-8 XML 1.0, and that is what is accepted: a UTF-16 or
     * UTF-32 file (a byte-order mark, or the zero bytes of one without it) is refused naming the
     * encoding found, as is an XML 1.1 declaration (1.1 admits control characters that 1.0 and
     * upstream's lxml refuse).
     */
    static String decode(byte[] bytes, Path path) {
        String found = wideEncoding(bytes);
        if (found != null) {
            throw StorageException.invalidConfiguration(path + " is encoded as " + found + "; only UTF-8 (as qubesd writes it)"
                    + " is accepted: convert it with iconv -f " + found + " -t UTF-8");
        }
        String text = strictUtf8(bytes, path);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        String head = text.substring(0, Math.min(256, text.length()));
        if (head.matches("(?s)\\s*<\\?xml\\s+version\\s*=\\s*[\"']1\\.1[\"'].*")) {
            throw StorageException.invalidConfiguration(path + " declares XML 1.1; qubes.xml is XML 1.0 (as qubesd writes it),"
                    + " so it is refused rather than read with 1.1's rules");
        }
        return text;
    }

    private static String wideEncoding(byte[] b) {
        if (b.length >= 4 && b[0] == 0 && b[1] == 0 && (b[2] & 0xff) == 0xFE && (b[3] & 0xff) == 0xFF) {
            return "UTF-32BE";
        }
        if (b.length >= 4 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xFE && b[2] == 0 && b[3] == 0) {
            return "UTF-32LE";
        }
        if (b.length >= 2 && (b[0] & 0xff) == 0xFE && (b[1] & 0xff) == 0xFF) {
            return "UTF-16BE";
        }
        if (b.length >= 2 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xFE) {
            return "UTF-16LE";
        }
        if (b.length >= 2 && b[0] == 0 && b[1] == '<') {
            return "UTF-16BE";
        }
        if (b.length >= 2 && b[0] == '<' && b[1] == 0) {
            return "UTF-16LE";
        }
        return null;
    }

    private static String strictUtf8(byte[] bytes, Path path) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw StorageException.invalidConfiguration(path + ": not valid UTF-8 text (a byte sequence no UTF-8 encoder"
                    + " writes); qubes.xml must be UTF-8, as qubesd writes it");
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
