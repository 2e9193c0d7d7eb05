package org.qubesstorage.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("SPI values and rules")
class SpiValuesTest {
    @Test
    @DisplayName("a volume's attributes follow upstream's order, booleans and omissions")
    void attributes() {
        VolumeConfig c = new VolumeConfig("root", "p", "appvms/w/root", 0, true, false, true, 0, Optional.of("vm-templates/t/root"),
                Optional.empty());
        assertThat(c.toAttributes()).containsExactly(
                java.util.Map.entry("name", "root"), java.util.Map.entry("pool", "p"), java.util.Map.entry("vid", "appvms/w/root"),
                java.util.Map.entry("revisions_to_keep", "0"), java.util.Map.entry("rw", "True"),
                java.util.Map.entry("save_on_stop", "False"), java.util.Map.entry("snap_on_start", "True"),
                java.util.Map.entry("source", "vm-templates/t/root"));
        assertThat(c.withSize(5).withEphemeral(Optional.of(false)).toAttributes()).containsEntry("size", "5").containsEntry("ephemeral", "False");
    }

    @Test
    @DisplayName("the volume type truth table")
    void types() {
        assertThat(VolumeType.of(false, false)).isEqualTo(VolumeType.VOLATILE);
        assertThat(VolumeType.of(true, false)).isEqualTo(VolumeType.SNAPSHOT);
        assertThat(VolumeType.of(false, true)).isEqualTo(VolumeType.ORIGIN);
        assertThat(VolumeType.of(true, true)).isEqualTo(VolumeType.ORIGIN_SNAPSHOT);
    }

    @Test
    @DisplayName("ephemeral defaults follow the pool only for writable volatile volumes")
    void ephemeral() {
        VolumeConfig vol = new VolumeConfig("volatile", "p", "v", 0, true, false, false, 1, Optional.empty(), Optional.empty());
        assertThat(vol.effectiveEphemeral(true)).isTrue();
        assertThat(vol.withRw(false).effectiveEphemeral(true)).isFalse();
        VolumeConfig origin = new VolumeConfig("private", "p", "v", 0, true, true, false, 1, Optional.empty(), Optional.empty());
        assertThat(origin.effectiveEphemeral(true)).isFalse();
        assertThat(origin.snapshotsDisabled()).isFalse();
        assertThat(origin.withRevisionsToKeep(-1).snapshotsDisabled()).isTrue();
        assertThatThrownBy(() -> origin.withRevisionsToKeep(-2)).isInstanceOf(StorageException.class);
    }

    @ParameterizedTest(name = "vm name [{0}]")
    @ValueSource(strings = {"-rf", "a/b", "..", "1abc", "Domain-0", "none", "default", "x-dm", "thisnameiswaytoolongforaqubeokay1"})
    @DisplayName("bad domain names are refused")
    void badVmNames(String n) {
        assertThatThrownBy(() -> Names.requireVmName(n)).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @ParameterizedTest(name = "name [{0}]")
    @ValueSource(strings = {"-x", "a/b", "..", ".", "a b", ""})
    @DisplayName("bad pool and volume names are refused")
    void badNames(String n) {
        assertThatThrownBy(() -> Names.requirePoolName(n)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> Names.requireVolumeName(n)).isInstanceOf(StorageException.class);
    }

    @Test
    @DisplayName("good names pass unchanged")
    void goodNames() {
        assertThat(Names.requireVmName("work-2.x_y")).isEqualTo("work-2.x_y");
        assertThat(Names.requirePoolName("vm-pool")).isEqualTo("vm-pool");
        assertThat(Names.requireRevisionId("1521065906-back")).isEqualTo("1521065906-back");
    }

    @Test
    @DisplayName("SPI ranges: the host loads a driver that needs no newer SPI and is not older than the oldest compatible one")
    void spiRange() {
        assertThat(SpiVersion.current().supportsHost()).isTrue();
        assertThat(new SpiVersion(SpiVersion.CURRENT + 1, SpiVersion.CURRENT + 2).supportsHost()).as("needs a newer host").isFalse();
        assertThat(new SpiVersion(1, 1).supportsHost()).as("an SPI-1 driver after additive changes").isTrue();
        assertThatThrownBy(() -> new SpiVersion(3, 2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("not-supported failures use the standard sentence")
    void notSupported() {
        assertThat(StorageException.notSupported("lvm_thin", "volume resize").getMessage())
                .isEqualTo("Pool driver lvm_thin does not support volume resize");
    }
}
