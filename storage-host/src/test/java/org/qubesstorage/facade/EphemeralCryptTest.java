package org.qubesstorage.facade;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Ephemeral volumes' mapping names")
class EphemeralCryptTest {
    @Test
    @DisplayName("are upstream's encrypted_volume_path: _ as _u, - as _d, so distinct qubes never share one")
    void names() {
        assertThat(EphemeralCrypt.mapping("work", "volatile")).isEqualTo(Path.of("/dev/mapper/vm-volatile-work-crypt@volatile"));
        assertThat(EphemeralCrypt.mapping("my_vm-1", "volatile")).isEqualTo(Path.of("/dev/mapper/vm-volatile-my_uvm_d1-crypt@volatile"));
        assertThat(EphemeralCrypt.mapping("a-b", "volatile")).isNotEqualTo(EphemeralCrypt.mapping("a_b", "volatile"));
        assertThat(EphemeralCrypt.mapping("a_d", "volatile")).isNotEqualTo(EphemeralCrypt.mapping("a-", "volatile"));
    }

    @Test
    @DisplayName("refuse what would leave /dev/mapper")
    void refused() {
        assertThatThrownBy(() -> EphemeralCrypt.mapping("x", "../root")).hasMessageContaining("No encrypted volume name");
        assertThatThrownBy(() -> EphemeralCrypt.mapping("", "volatile")).hasMessageContaining("No encrypted volume name");
    }
}
