package org.qubesstorage.lvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.spi.SpaceUse;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.support.SharedSpace;

@DisplayName("Thin pool space accounting from thin_dump")
class ThinSpaceTest {
    @TempDir
    Path dir;

    /** The shape thin_dump 0.9 writes: 64 KiB blocks (128 sectors). */
    private static final String DUMP = """
            <superblock uuid="" time="3" transaction="7" flags="0" version="2" data_block_size="128" nr_data_blocks="1600">
              <device dev_id="1" mapped_blocks="20" transaction="0" creation_time="0" snap_time="1">
                <range_mapping origin_begin="0" data_begin="0" length="16" time="0"/>
                <single_mapping origin_block="40" data_block="100" time="1"/>
                <single_mapping origin_block="41" data_block="101" time="1"/>
                <single_mapping origin_block="42" data_block="102" time="1"/>
                <single_mapping origin_block="43" data_block="103" time="1"/>
              </device>
              <device dev_id="2" mapped_blocks="16" transaction="1" creation_time="1" snap_time="1">
                <range_mapping origin_begin="0" data_begin="0" length="16" time="0"/>
              </device>
              <device dev_id="3" mapped_blocks="8" transaction="2" creation_time="2" snap_time="2">
                <range_mapping origin_begin="0" data_begin="200" length="8" time="2"/>
              </device>
              <device dev_id="4" mapped_blocks="8" transaction="2" creation_time="2" snap_time="2">
                <range_mapping origin_begin="0" data_begin="200" length="8" time="2"/>
              </device>
            </superblock>
            """;

    @Test
    @DisplayName("books blocks shared with another volume as shared, and with the volume's own revision as exclusive")
    void books() throws Exception {
        Path xml = Files.writeString(dir.resolve("dump.xml"), DUMP);
        // 1 and 2: a template and its clone; 3 and 4: a volume and its own revision.
        Map<Integer, String> owners = Map.of(1, "vg/vm-t-root", 2, "vg/vm-clone-root", 3, "vg/vm-w-private", 4, "vg/vm-w-private");
        List<SharedSpace.Reference> refs = ThinDump.references(xml, owners::get);
        Map<String, Long> none = new LinkedHashMap<>();
        owners.values().forEach(v -> none.put(v, 0L));
        Map<String, SpaceUse> space = SharedSpace.book(refs, none);
        long block = 64 << 10;
        assertThat(space.get("vg/vm-t-root")).isEqualTo(new SpaceUse(20 * block, 4 * block, 16 * block));
        assertThat(space.get("vg/vm-clone-root")).isEqualTo(new SpaceUse(16 * block, 0, 16 * block));
        assertThat(space.get("vg/vm-w-private")).isEqualTo(SpaceUse.exclusive(8 * block));
    }

    @Test
    @DisplayName("an LV belongs to its volume through -snap, -import and revision names, else to itself")
    void owners() {
        Set<String> vids = Set.of("vg/vm-work-private", "vg/vm-work-root");
        assertThat(ThinSpace.ownerOf("vg/vm-work-private-snap", vids)).isEqualTo("vg/vm-work-private");
        assertThat(ThinSpace.ownerOf("vg/vm-work-private-import", vids)).isEqualTo("vg/vm-work-private");
        assertThat(ThinSpace.ownerOf("vg/vm-work-private-1733580000-back", vids)).isEqualTo("vg/vm-work-private");
        assertThat(ThinSpace.ownerOf("vg/vm-other-private", vids)).isEqualTo("vg/vm-other-private");
    }

    @Test
    @DisplayName("thin ids come from this pool's LVs only, and a DTD in thin_dump's output is refused")
    void idsAndHostileXml() throws Exception {
        String lvs = """
                {"report": [{"lv": [
                  {"vg_name":"vg", "lv_name":"a", "pool_lv":"pool", "thin_id":"1"},
                  {"vg_name":"vg", "lv_name":"b", "pool_lv":"pool2", "thin_id":"1"},
                  {"vg_name":"vg", "lv_name":"pool", "pool_lv":"", "thin_id":""}]}]}
                """;
        assertThat(LvsReport.thinIds(lvs, "pool")).containsExactly(Map.entry("vg/a", 1));
        Path evil = Files.writeString(dir.resolve("evil.xml"),
                "<!DOCTYPE s [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><superblock data_block_size=\"&x;\"/>");
        assertThatThrownBy(() -> ThinDump.references(evil, id -> "x")).isInstanceOf(StorageException.class);
    }
}
