package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.util.List;
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
    @DisplayName("warms the serializer of every property a journal line can have (none of the sample's is null)")
    void sampleSetsEveryProperty() throws Exception {
        Journal.Entry e = StartupPrefetch.sampleRunEntry();
        assertNoNullComponent(e);
        assertNoNullComponent(e.plan());
        assertNoNullComponent(e.plan().domains().getFirst());
        assertNoNullComponent(e.plan().domains().getFirst().volumes().getFirst());
        assertNoNullComponent(e.plan().space());
        assertNoNullComponent(e.result());
        // and it is a line the journal reads back as it was written
        String line = Journal.JSON.writeValueAsString(e);
        assertThat(Journal.JSON.readValue(line, Journal.Entry.class)).isEqualTo(e);
    }

    private static void assertNoNullComponent(Record r) throws Exception {
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            assertThat(c.getAccessor().invoke(r)).as("%s.%s", r.getClass().getSimpleName(), c.getName()).isNotNull();
        }
    }

    @Test
    @DisplayName("runs on daemon threads of its own, which end")
    void daemonThreadsThatEnd() throws Exception {
        List<Thread> threads = StartupPrefetch.start();
        assertThat(threads).isNotEmpty();
        for (Thread t : threads) {
            assertThat(t.isDaemon()).as("must not keep the JVM alive").isTrue();
            t.join(60_000);
            assertThat(t.isAlive()).isFalse();
        }
    }
}
