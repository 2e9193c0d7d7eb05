package org.qubesstorage.file;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.qubesstorage.spi.StorageException;

/**
 * The files of one volume in upstream's {@code file-reflink} layout, in {@code <dir>/<vid>}'s
 * directory: {@code <vol>.img} (clean), {@code <vol>-dirty.img} (running), {@code <vol>-precache.img},
 * {@code <vol>-import.img}, revisions {@code <vol>.img.<N>@<YYYY-MM-DDTHH:MM:SS>Z}, and temporary
 * files {@code <vol>*.img*~*} left by an interrupted copy.
 */
public record ImageFiles(Path dir, String volume) {
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    /** One revision file: its number and timestamp. */
    public record RevisionFile(int number, Instant timestamp, Path path) {}

    public Path clean() {
        return dir.resolve(volume + ".img");
    }

    public Path dirty() {
        return dir.resolve(volume + "-dirty.img");
    }

    public Path precache() {
        return dir.resolve(volume + "-precache.img");
    }

    public Path importing() {
        return dir.resolve(volume + "-import.img");
    }

    public Path revision(int number, Instant timestamp) {
        return dir.resolve(volume + ".img." + number + "@" + ISO.format(timestamp.truncatedTo(ChronoUnit.SECONDS)
                .atOffset(ZoneOffset.UTC)) + "Z");
    }

    /** The revision files, oldest (lowest number) first. */
    public List<RevisionFile> revisions() {
        List<RevisionFile> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        Pattern p = Pattern.compile(Pattern.quote(volume + ".img.") + "([0-9]+)@([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})Z");
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, volume + ".img.*@*Z")) {
            for (Path f : s) {
                Matcher m = p.matcher(f.getFileName().toString());
                if (m.matches()) {
                    Instant ts = LocalDateTime.parse(m.group(2), ISO).toInstant(ZoneOffset.UTC);
                    out.add(new RevisionFile(Integer.parseInt(m.group(1)), ts, f));
                }
            }
        } catch (IOException e) {
            throw StorageException.backend("Cannot list revisions in " + dir + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparingInt(RevisionFile::number));
        return out;
    }

    public Optional<RevisionFile> revision(String id) {
        return revisions().stream().filter(r -> Integer.toString(r.number()).equals(id)).findFirst();
    }

    /** Temporary files of interrupted copies ({@code <vol>*.img*~*}), which are never valid data. */
    public List<Path> incomplete() {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, volume + "*.img*~*")) {
            s.forEach(out::add);
        } catch (IOException e) {
            throw StorageException.backend("Cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }
}
