package org.qubesstorage.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

@DisplayName("Lossless editing of qubes.xml")
class LosslessEditTest {

    /** The lines that differ between two texts, as "-old" and "+new" entries. */
    static List<String> diff(String before, String after) {
        String[] a = before.split("\n", -1);
        String[] b = after.split("\n", -1);
        int head = 0;
        while (head < a.length && head < b.length && a[head].equals(b[head])) {
            head++;
        }
        int tailA = a.length - 1;
        int tailB = b.length - 1;
        while (tailA >= head && tailB >= head && a[tailA].equals(b[tailB])) {
            tailA--;
            tailB--;
        }
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (int i = head; i <= tailA; i++) {
            out.add("-" + a[i]);
        }
        for (int i = head; i <= tailB; i++) {
            out.add("+" + b[i]);
        }
        return out;
    }

    @Test
    @DisplayName("changing a volume's pool and vid touches only those attribute values")
    void changeVolume() throws IOException {
        String original = QubesXmlReadingTest.resource("r4.xml");
        QubesXmlDocument doc = QubesXmlDocument.parse(original, "r4.xml");
        Map<String, String> change = new LinkedHashMap<>();
        change.put("pool", "vm-pool");
        change.put("vid", "qubes_dom0/vm-work-private");
        QubesXmlDocument edited = doc.withVolumeAttributes("work", "private", change);
        assertThat(diff(original, edited.text())).containsExactly(
                "-            name=\"private\" pool=\"varlibqubes\"",
                "-            vid=\"appvms/work/private\" revisions_to_keep=\"2\" rw=\"True\" save_on_stop=\"True\" snap_on_start=\"False\" size=\"2147483648\"/>",
                "+            name=\"private\" pool=\"vm-pool\"",
                "+            vid=\"qubes_dom0/vm-work-private\" revisions_to_keep=\"2\" rw=\"True\" save_on_stop=\"True\" snap_on_start=\"False\" size=\"2147483648\"/>");
        assertThat(edited.model().domain("work").orElseThrow().volumes().get("private"))
                .containsEntry("pool", "vm-pool").containsEntry("vid", "qubes_dom0/vm-work-private");
        // Every byte outside the two values is the same.
        String stripped = edited.text().replace("pool=\"vm-pool\"\n            vid=\"qubes_dom0/vm-work-private\"",
                "pool=\"varlibqubes\"\n            vid=\"appvms/work/private\"");
        assertThat(stripped).isEqualTo(original);
    }

    @Test
    @DisplayName("a new attribute goes after the last one, with the element's quote style")
    void addAttribute() throws IOException {
        String original = QubesXmlReadingTest.resource("r4.xml");
        QubesXmlDocument edited = QubesXmlDocument.parse(original, "r4.xml")
                .withVolumeAttribute("fedora-42", "volatile", "ephemeral", "True");
        assertThat(diff(original, edited.text())).hasSize(2);
        assertThat(edited.text()).contains("size=\"10737418240\" ephemeral=\"True\"/>");
        assertThat(edited.withoutVolumeAttribute("fedora-42", "volatile", "ephemeral").text()).isEqualTo(original);
    }

    @Test
    @DisplayName("a new pool is added after the last pool, indented like it")
    void addPool() throws IOException {
        String original = QubesXmlReadingTest.resource("r4.xml");
        Map<String, String> pool = new LinkedHashMap<>();
        pool.put("name", "new-lvm");
        pool.put("volume_group", "vg0");
        pool.put("thin_pool", "tp");
        pool.put("driver", "lvm_thin");
        QubesXmlDocument edited = QubesXmlDocument.parse(original, "r4.xml").withPool(pool);
        List<String> d = diff(original, edited.text());
        assertThat(d).containsExactly(
                "+    <pool name=\"new-lvm\" volume_group=\"vg0\" thin_pool=\"tp\" driver=\"lvm_thin\"/>");
        assertThat(edited.model().pools()).hasSize(4);
        assertThatThrownBy(() -> edited.withPool(pool)).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
    }

    @Test
    @DisplayName("removing an added pool gives back the original bytes")
    void removePool() throws IOException {
        String original = QubesXmlReadingTest.resource("r4.xml");
        QubesXmlDocument doc = QubesXmlDocument.parse(original, "r4.xml");
        QubesXmlDocument added = doc.withPool(Map.of("name", "new-lvm", "driver", "lvm_thin"));
        assertThat(added.withoutPool("new-lvm").text()).isEqualTo(original);
        assertThat(doc.withoutPool("no-such-pool").text()).isEqualTo(original);
    }

    @Test
    @DisplayName("values are escaped and read back exactly")
    void escaping() throws IOException {
        QubesXmlDocument doc = QubesXmlDocument.parse(QubesXmlReadingTest.resource("r4.xml"), "r4.xml");
        QubesXmlDocument edited = doc.withVolumeAttribute("work", "root", "comment", "a<b & \"c\" 'd'");
        assertThat(edited.model().domain("work").orElseThrow().volumes().get("root")).containsEntry("comment", "a<b & \"c\" 'd'");
    }

    @Test
    @DisplayName("legacy files are never edited")
    void legacyNotEdited() throws IOException {
        QubesXmlDocument doc = QubesXmlDocument.parse(QubesXmlReadingTest.resource("r2.xml"), "r2.xml");
        assertThatThrownBy(() -> doc.withPool(Map.of("name", "x", "driver", "file")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_SUPPORTED));
    }
}
