package org.qubesstorage.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.spi.DriverParameter;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.PoolDriver;
import org.qubesstorage.spi.StorageException;

@DisplayName("Pool configuration validation")
class PoolFactoryTest {
    private static PoolDriver driver() {
        PoolDriver d = mock(PoolDriver.class);
        when(d.name()).thenReturn("demo");
        when(d.parameters()).thenReturn(List.of(
                DriverParameter.required("dir_path", "where"),
                DriverParameter.required("volume_group", "vg"),
                DriverParameter.optional("revisions_to_keep", "1", "revisions")));
        return d;
    }

    private static PoolConfig config(Map<String, String> params) {
        return new PoolConfig("p1", "demo", params);
    }

    @Test
    @DisplayName("unknown parameters are rejected, listing the accepted ones")
    void unknown() {
        Map<String, String> params = new LinkedHashMap<>(Map.of("dir_path", "/x", "volume_group", "vg", "colour", "red"));
        assertThatThrownBy(() -> PoolFactory.validate(config(params), driver()))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIGURATION);
                    assertThat(e.getMessage()).contains("does not accept colour",
                            "accepted: name, driver, dir_path, revisions_to_keep, volume_group");
                });
    }

    @Test
    @DisplayName("missing required parameters are named")
    void missing() {
        assertThatThrownBy(() -> PoolFactory.validate(config(Map.of("revisions_to_keep", "2")), driver()))
                .isInstanceOfSatisfying(StorageException.class,
                        e -> assertThat(e.getMessage()).contains("missing required driver options: dir_path, volume_group"));
    }

    @Test
    @DisplayName("a pool element without a known driver is a configuration error naming the available drivers")
    void unknownDriver() {
        PoolFactory f = new PoolFactory(DriverRegistry.fromClassPath(), HostDriverContext.system(), java.util.Optional.empty());
        assertThatThrownBy(() -> f.create(Map.of("name", "x", "driver", "zfs")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getMessage()).contains("No driver zfs for pool x"));
        assertThatThrownBy(() -> f.create(Map.of("name", "x")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getMessage()).contains("No driver specified"));
    }

    @Test
    @DisplayName("a valid configuration reaches the driver unchanged")
    void valid() {
        PoolDriver d = driver();
        Pool pool = mock(Pool.class);
        when(d.create(any(), any())).thenReturn(pool);
        PoolConfig c = PoolFactory.validate(config(Map.of("dir_path", "/x", "volume_group", "vg")), d);
        assertThat(c.parameters()).containsOnlyKeys("dir_path", "volume_group");
    }

    @Test
    @DisplayName("typed accessors convert Python-style values and reject garbage")
    void typed() {
        PoolConfig c = config(Map.of("a", "True", "b", "False", "n", "3", "bad", "maybe"));
        assertThat(c.getBoolean("a", false)).isTrue();
        assertThat(c.getBoolean("b", true)).isFalse();
        assertThat(c.getBoolean("absent", true)).isTrue();
        assertThat(c.getInt("n", 0)).isEqualTo(3);
        assertThatThrownBy(() -> c.getBoolean("bad", false)).hasMessageContaining("must be True or False");
        assertThatThrownBy(() -> c.getInt("a", 0)).hasMessageContaining("whole number");
    }
}
