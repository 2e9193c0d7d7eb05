package org.qubesstorage.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

@DisplayName("Saving qubes.xml")
class QubesXmlFileTest {
    @TempDir
    Path dir;

    private Path original() throws Exception {
        Path f = dir.resolve("qubes.xml");
        Files.writeString(f, QubesXmlReadingTest.resource("r4.xml"));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw----"));
        return f;
    }

    @Test
    @DisplayName("writes the edit atomically, keeps the mode and makes a timestamped backup")
    void saves() throws Exception {
        Path f = original();
        String before = Files.readString(f);
        QubesXmlFile file = QubesXmlFile.load(f);
        QubesXmlDocument edited = file.document().withVolumeAttribute("work", "private", "pool", "vm-pool");
        Clock clock = Clock.fixed(Instant.parse("2026-11-22T10:11:12Z"), ZoneOffset.UTC);
        Optional<Path> backup = file.save(edited, Optional.of(clock));
        assertThat(Files.readString(f)).isEqualTo(edited.text());
        assertThat(backup).contains(dir.resolve("qubes.xml.20261122T101112Z.bak"));
        assertThat(Files.readString(backup.get())).isEqualTo(before);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-rw----");
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("qubes.xml", "qubes.xml.20261122T101112Z.bak");
        }
    }

    @Test
    @DisplayName("refuses to save over a file someone changed since it was loaded, writing nothing")
    void refusesConcurrentChange() throws Exception {
        Path f = original();
        QubesXmlFile file = QubesXmlFile.load(f);
        Files.writeString(f, Files.readString(f).replace("fedora-42", "fedora-43"));
        String changed = Files.readString(f);
        QubesXmlDocument edited = file.document().withVolumeAttribute("work", "private", "pool", "vm-pool");
        assertThatThrownBy(() -> file.save(edited, Optional.empty())).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.BUSY));
        assertThat(Files.readString(f)).isEqualTo(changed);
        try (var s = Files.list(dir)) {
            assertThat(s.count()).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("a missing file is NOT_FOUND")
    void missing() {
        assertThatThrownBy(() -> QubesXmlFile.load(dir.resolve("nope.xml"))).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }
}
