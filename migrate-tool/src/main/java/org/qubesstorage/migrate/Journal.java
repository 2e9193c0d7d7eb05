package org.qubesstorage.migrate;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.qubesstorage.linux.DurableFiles;
import org.qubesstorage.migrate.json.JournalLine;
import org.qubesstorage.migrate.json.Wire;

/**
 * The migration's journal beside qubes.xml: one JSON object per line, each fsynced before the step
 * it announces (or after the step it confirms), so that after a crash or a kill at any instant
 * {@code --resume} knows what is done and {@code --rollback} knows what to undo. A torn last line
 * (killed mid-write) is ignored. The file is locked while a run uses it, so two runs cannot
 * interleave.
 */
final class Journal implements AutoCloseable {
    /**
     * One journal line ({@link WireFormat} maps it to and from its wire form, {@link JournalLine}).
     *
     * @param sha256 for xml-saving/xml-saved: the SHA-256 of the qubes.xml that save writes
     */
    record Entry(JournalStep type, String time, String domain, String volume, String detail, String sha256, Long pid,
            MigrationPlan plan, String backup, Boolean removeSource, Boolean fsAware, VolumeResult result) {
        Entry {
            requireNonNull(type, "type");
        }

        static Entry of(JournalStep type) {
            return new Entry(type, Instant.now().toString(), null, null, null, null, null, null, null, null, null, null);
        }

        Entry domain(String d) {
            return new Entry(type, time, d, volume, detail, sha256, pid, plan, backup, removeSource, fsAware, result);
        }

        Entry volume(String v) {
            return new Entry(type, time, domain, v, detail, sha256, pid, plan, backup, removeSource, fsAware, result);
        }

        Entry detail(String d) {
            return new Entry(type, time, domain, volume, d, sha256, pid, plan, backup, removeSource, fsAware, result);
        }

        Entry sha256(String s) {
            return new Entry(type, time, domain, volume, detail, s, pid, plan, backup, removeSource, fsAware, result);
        }

        Entry withPid() {
            return new Entry(type, time, domain, volume, detail, sha256, ProcessHandle.current().pid(), plan, backup,
                    removeSource, fsAware, result);
        }

        Entry result(VolumeResult r) {
            return new Entry(type, time, domain, volume, detail, sha256, pid, plan, backup, removeSource, fsAware, r);
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private Journal(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Opens (creating if needed) and locks {@code path}; refuses if another run holds it. A new
     * journal gets {@code like}'s mode, owner and group (the qubes.xml it journals: it records
     * the same installation's pools and volumes), not whatever the umask would give it.
     */
    static Journal open(Path path, Path like) {
        requireNonNull(path, "path");
        try {
            boolean created = !Files.exists(path);
            FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            if (created) {
                sameAttributes(path, like);
            }
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null; // held by this process already
            }
            if (lock == null) {
                ch.close();
                throw ToolException.input("Another qvm-to-lvm run is using " + path + "; wait for it to finish");
            }
            if (created) {
                DurableFiles.fsyncDirectory(path.toAbsolutePath().getParent());
            }
            return new Journal(path, ch, lock);
        } catch (IOException e) {
            throw ToolException.input("Cannot open the journal " + path + ": " + IoReasons.of(e));
        }
    }

    Path path() {
        return path;
    }

    private static void sameAttributes(Path path, Path like) throws IOException {
        PosixFileAttributes attrs = Files.readAttributes(like, PosixFileAttributes.class);
        Files.setPosixFilePermissions(path, attrs.permissions());
        try {
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
            view.setOwner(attrs.owner());
            view.setGroup(attrs.group());
        } catch (IOException e) {
            // Not root: the journal keeps our own owner, as qubes.xml's own saves would.
        }
    }

    /** Appends {@code e} and makes it durable before returning. */
    void append(Entry e) {
        try {
            byte[] line = (Wire.line(WireFormat.line(e)) + "\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            channel.force(false);
        } catch (IOException ex) {
            throw new ToolException(ExitCodes.PARTIAL, "Cannot write the journal " + path + ": " + IoReasons.of(ex), ex);
        }
    }

    /** The entries of the journal at {@code path}; a torn last line is dropped, any other bad line refused. */
    static List<Entry> read(Path path) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw ToolException.input("The journal " + path + " is not a journal: it is not UTF-8 text");
        } catch (IOException e) {
            throw ToolException.input("Cannot read the journal " + path + ": " + IoReasons.of(e));
        }
        // Every record ends with a newline, written with it in one write: only an unterminated
        // last line can be a record torn by a kill.
        boolean lastTerminated = text.endsWith("\n");
        List<String> lines = text.lines().toList();
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            JournalLine parsed;
            try {
                parsed = Wire.read(line, JournalLine.class);
            } catch (Wire.Malformed e) {
                if (i == lines.size() - 1 && !lastTerminated) {
                    break; // killed while writing it: the step it announced never started
                }
                throw ToolException.input("Journal " + path + " line " + (i + 1) + " is damaged: " + e.getMessage());
            }
            entries.add(WireFormat.entry(parsed, path, i + 1));
        }
        return entries;
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // closing releases the lock anyway
        }
    }
}
