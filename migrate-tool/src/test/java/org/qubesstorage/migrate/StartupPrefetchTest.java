package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.List;
import org.qubesstorage.migrate.json.JournalLine;
import org.qubesstorage.migrate.json.Wire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The start-up prefetch")
class StartupPrefetchTest {
    @Test
    @DisplayName("binds the native calls and builds the journal's serializers without a failure")
    void preparesEverything() throws Exception {
        assertThat(StartupPrefetch.prepare()).isTrue();
        String line = Wire.line(WireFormat.line(Journal.Entry.of(JournalStep.RUN).domain("work")));
        assertThat(line).contains("\"domain\":\"work\"");
    }

    @Test
    @DisplayName("warms the serializer of every property a journal line can have (none of the sample's is null)")
    void sampleSetsEveryProperty() throws Exception {
        Journal.Entry e = StartupPrefetch.sampleRunEntry();
        JournalLine wire = WireFormat.line(e);
        assertNoNullComponent(wire);
        assertNoNullComponent(wire.plan());
        assertNoNullComponent(wire.plan().domains().getFirst());
        assertNoNullComponent(wire.plan().domains().getFirst().volumes().getFirst());
        assertNoNullComponent(wire.plan().space());
        assertNoNullComponent(wire.result());
        // and it is a line the journal reads back as it was written
        String line = Wire.line(wire);
        assertThat(WireFormat.entry(Wire.read(line, JournalLine.class), Path.of("j"), 1)).isEqualTo(e);
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
