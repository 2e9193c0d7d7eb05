package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The start-up prefetch")
class StartupPrefetchTest {
    @Test
    @DisplayName("binds the native calls and builds the journal's serializers without a failure")
    void preparesEverything() throws Exception {
        assertThat(StartupPrefetch.prepare()).isTrue();
        String line = Journal.JSON.writeValueAsString(Journal.Entry.of("run").domain("work"));
        assertThat(line).contains("\"domain\":\"work\"");
    }

    @Test
    @DisplayName("runs on a daemon thread of its own, which ends")
    void daemonThreadThatEnds() throws Exception {
        Thread t = StartupPrefetch.start().orElseThrow();
        assertThat(t.isDaemon()).as("must not keep the JVM alive").isTrue();
        t.join(60_000);
        assertThat(t.isAlive()).isFalse();
    }
}
