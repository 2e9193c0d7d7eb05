package org.qubesstorage.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

@DisplayName("Hostile qubes.xml input")
class HostileXmlTest {
    @TempDir
    Path dir;

    private static void refused(String xml, String... messageParts) {
        assertThatThrownBy(() -> QubesXmlDocument.parse(xml, "qubes.xml"))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION);
                    assertThat(e.getMessage()).contains(messageParts);
                });
    }

    @Test
    @DisplayName("an external entity (XXE) is refused before anything is read from it")
    void xxe() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret"), "TOP SECRET");
        refused("<?xml version='1.0'?>\n<!DOCTYPE qubes [<!ENTITY x SYSTEM \"file://" + secret + "\">]>\n<qubes><pools>"
                + "<pool name=\"&x;\" driver=\"file\"/></pools></qubes>", "qubes.xml:2:", "DTD");
    }

    @Test
    @DisplayName("a billion-laughs entity bomb is refused")
    void billionLaughs() {
        StringBuilder sb = new StringBuilder("<?xml version='1.0'?><!DOCTYPE qubes [<!ENTITY a \"lol\">");
        for (int i = 1; i < 10; i++) {
            sb.append("<!ENTITY ").append((char) ('a' + i)).append(" \"");
            sb.append(("&" + (char) ('a' + i - 1) + ";").repeat(10)).append("\">");
        }
        sb.append("]><qubes><properties><property name=\"x\">&j;</property></properties></qubes>");
        refused(sb.toString(), "DTD");
    }

    @Test
    @DisplayName("an undeclared entity reference is refused")
    void undeclaredEntity() {
        refused("<qubes><properties><property name=\"x\">&foo;</property></properties></qubes>", "qubes.xml:1:");
    }

    @Test
    @DisplayName("malformed XML names file, line and column")
    void malformed() {
        refused("<qubes>\n  <pools>\n    <pool name=\"a\" driver=\"file\"\n  </pools>\n</qubes>", "qubes.xml:4:", "malformed XML");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "size=\"-5\"", "size=\"12abc\"", "size=\"99999999999999999999999\"", "revisions_to_keep=\"-2\"",
        "rw=\"yes\"", "vid=\"../../etc/passwd\"", "vid=\"-rf\"", "pool=\"-x\""})
    @DisplayName("bad volume values are refused with their location")
    void badValues(String attr) {
        refused("<qubes><domains><domain id=\"domain-1\" class=\"AppVM\"><properties><property name=\"name\">work</property>"
                + "</properties><volume-config>\n<volume name=\"private\" " + attr + "/></volume-config></domain></domains></qubes>",
                "qubes.xml:2:");
    }

    @ParameterizedTest(name = "name [{0}]")
    @ValueSource(strings = {"../evil", "-rf", "has space", "", "Domain-0", "a-dm", "ąę"})
    @DisplayName("bad domain names are refused")
    void badDomainNames(String name) {
        refused("<qubes><domains><domain id=\"domain-1\" class=\"AppVM\"><properties><property name=\"name\">" + name
                + "</property></properties></domain></domains></qubes>", "qubes.xml:1:");
    }

    @Test
    @DisplayName("a duplicate vid in one pool is refused")
    void duplicateVid() {
        String vol = "<volume name=\"private\" pool=\"p\" vid=\"appvms/x/private\"/>";
        refused("<qubes><domains>"
                + "<domain id=\"d1\" class=\"AppVM\"><properties><property name=\"name\">a</property></properties><volume-config>" + vol + "</volume-config></domain>"
                + "<domain id=\"d2\" class=\"AppVM\"><properties><property name=\"name\">b</property></properties><volume-config>" + vol + "</volume-config></domain>"
                + "</domains></qubes>", "used twice");
    }

    @Test
    @DisplayName("something that is not qubes.xml is refused")
    void notQubes() {
        refused("<html><body/></html>", "not a qubes.xml");
    }

    @Test
    @DisplayName("files larger than the limit are refused before parsing")
    void tooLarge() throws Exception {
        Path big = dir.resolve("qubes.xml");
        try (var raf = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            raf.setLength(65L << 20);
        }
        assertThatThrownBy(() -> QubesXmlFile.load(big)).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.getMessage()).contains("larger than"));
    }

    @Test
    @DisplayName("invalid UTF-8 is refused")
    void badUtf8() throws Exception {
        Path f = dir.resolve("qubes.xml");
        Files.write(f, new byte[] {'<', 'q', 'u', 'b', 'e', 's', '>', (byte) 0xff, '<', '/', 'q', 'u', 'b', 'e', 's', '>'});
        assertThatThrownBy(() -> QubesXmlFile.load(f)).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.getMessage()).contains("UTF-8"));
    }
}
