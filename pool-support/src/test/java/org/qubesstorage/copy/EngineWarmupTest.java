package org.qubesstorage.copy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The copy engine's warm-up")
class EngineWarmupTest {
    @Test
    @DisplayName("starts one background thread per JVM, which ends on its own")
    void oneThreadThatEnds() throws Exception {
        EngineWarmup.startThread();
        EngineWarmup.startThread();
        List<Thread> warmups = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("copy-engine-warmup"))
                .toList();
        assertThat(warmups).hasSizeLessThanOrEqualTo(1);
        assertThat(EngineWarmup.started()).isTrue();
        for (Thread t : warmups) {
            assertThat(t.isDaemon()).as("must not keep the JVM alive").isTrue();
            t.join(60_000);
            assertThat(t.isAlive()).isFalse();
        }
    }
}
