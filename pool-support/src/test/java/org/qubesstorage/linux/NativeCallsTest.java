package org.qubesstorage.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("Binding the libc calls ahead")
class NativeCallsTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("binds every call from other threads while this one makes the same calls, and all of them work")
    void bindsWhileCallsAreMade() throws Exception {
        Path f = SparseFiles.create(dir.resolve("f.img"), 8L << 20);
        SparseFiles.writeRandom(f, 1L << 20, 1 << 20, 7);
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> binders = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            binders.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    NativeCalls.bindAll();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        go.countDown();
        try (NativeFile nf = NativeFile.openRead(f); Arena arena = Arena.ofConfined()) {
            assertThat(nf.seekData(0)).hasValue(1L << 20);
            MemorySegment buf = arena.allocate(4096, 4096);
            nf.readFully(buf, 4096, 1L << 20);
            assertThat(buf.toArray(ValueLayout.JAVA_BYTE))
                    .isEqualTo(Arrays.copyOfRange(Files.readAllBytes(f), 1 << 20, (1 << 20) + 4096));
            nf.fsync();
        }
        for (Thread t : binders) {
            t.join(60_000);
            assertThat(t.isAlive()).as("a binder hung (a class-initialisation deadlock?)").isFalse();
        }
        assertThat(failure.get()).isNull();
        NativeCalls.bindAll(); // again: idempotent, does not throw
    }
}
