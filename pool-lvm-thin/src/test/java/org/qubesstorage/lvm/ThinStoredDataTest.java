package org.qubesstorage.lvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.spi.StoredData;

@DisplayName("Thin LVs' stored data from thin_dump --dev-id")
class ThinStoredDataTest {
    private static final long BLOCK = 64 << 10;

    @TempDir
    Path dir;

    @Test
    @DisplayName("one device's mappings become extents at their origin, storage where the pool keeps them, runs joined")
    void extents() throws Exception {
        Path xml = Files.writeString(dir.resolve("dump.xml"), """
                <superblock uuid="" time="3" transaction="7" flags="0" version="2" data_block_size="128" nr_data_blocks="1600">
                  <device dev_id="5" mapped_blocks="23" transaction="0" creation_time="0" snap_time="1">
                    <range_mapping origin_begin="0" data_begin="300" length="16" time="0"/>
                    <single_mapping origin_block="16" data_block="316" time="1"/>
                    <single_mapping origin_block="17" data_block="900" time="1"/>
                    <single_mapping origin_block="18" data_block="901" time="1"/>
                    <range_mapping origin_begin="40" data_begin="902" length="4" time="2"/>
                  </device>
                </superblock>
                """);
        List<ThinDump.Mapping> mappings = ThinDump.mappings(xml);
        assertThat(mappings).hasSize(5).first().isEqualTo(new ThinDump.Mapping(5, 0, 300 * BLOCK, 16 * BLOCK));
        assertThat(ThinStoredData.extents(mappings, 5)).containsExactly(
                new StoredData.Extent(0, 17 * BLOCK, 300 * BLOCK),
                new StoredData.Extent(17 * BLOCK, 2 * BLOCK, 900 * BLOCK),
                new StoredData.Extent(40 * BLOCK, 4 * BLOCK, 902 * BLOCK));
        assertThat(ThinStoredData.extents(mappings, 6)).as("another device's").isEmpty();
    }

    @Test
    @DisplayName("thin_dump is asked for the one device, after --")
    void command() {
        assertThat(LvmCommands.thinDump("/dev/mapper/vg-pool_tmeta", "/tmp/x.xml", 7)).containsExactly("thin_dump",
                "--metadata-snap", "--format", "xml", "-o", "/tmp/x.xml", "--dev-id", "7", "--", "/dev/mapper/vg-pool_tmeta");
        assertThat(LvmCommands.thinDump("/dev/mapper/vg-pool_tmeta", "/tmp/x.xml", -1)).doesNotContain("--dev-id");
    }
}
