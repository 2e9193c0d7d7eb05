package org.qubesstorage.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.spi.StorageException;

@DisplayName("Device-mapper tables in dmsetup's text form")
class DmTableTest {
    @Test
    @DisplayName("one target per line; params kept as written; blank lines and comments skipped")
    void parses() {
        DmTable t = DmTable.parse("# the map\n0 2048 linear /dev/loop0 0\n\n2048 100 zero\n2148 8 snapshot /dev/a /dev/b P 8\n");
        assertThat(t.targets()).containsExactly(
                new DmTable.Target(0, 2048, "linear", "/dev/loop0 0"),
                new DmTable.Target(2048, 100, "zero", ""),
                new DmTable.Target(2148, 8, "snapshot", "/dev/a /dev/b P 8"));
    }

    @Test
    @DisplayName("refuses an empty table, a line without start, length and type, and an over-long type")
    void refuses() {
        assertThatThrownBy(() -> DmTable.parse("\n# nothing\n")).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> DmTable.parse("0 2048")).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> DmTable.parse("x 2048 linear /dev/loop0 0")).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> DmTable.parse("0 8 a-target-type-of-17")).isInstanceOf(StorageException.class);
    }
}
