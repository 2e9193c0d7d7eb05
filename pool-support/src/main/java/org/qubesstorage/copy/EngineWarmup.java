package org.qubesstorage.copy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.qubesstorage.linux.NativeCalls;
import org.qubesstorage.linux.NativeFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the copy engine's hot loops (zero detection, cell hashing, the native read path) on scratch
 * memory in a background thread, so the JIT has compiled them before the first real cell arrives.
 *
 * <p>Why: a copy's first cells otherwise run interpreted while the compilers catch up. On this
 * project's test VM (TCG emulation, 2 vCPUs) the first 64 MiB hashed at 36 MB/s against 600 MB/s
 * once compiled, and a 256 MiB volume spent most of its copy time warming up. A short-lived tool
 * such as {@code qvm-to-lvm} starts this first thing; the warm-up then overlaps with reading
 * {@code qubes.xml}, planning and the LVM commands, which wait on other processes. It touches no
 * file except {@code /dev/zero}, holds no lock and never fails the caller: an error only ends it.
 */
public final class EngineWarmup {
    private static final Logger LOG = LoggerFactory.getLogger(EngineWarmup.class);
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    /** 256 KiB × 256 rounds = 64 MiB hashed: enough for C2 to compile the hashing and zero-scan loops. */
    private static final int CHUNK = 256 << 10;
    private static final int ROUNDS = 256;

    private EngineWarmup() {}

    /**
     * Starts the warm-up once per JVM (later calls do nothing); returns at once.
     * {@code -Dqubes.copy.warmup=false} turns it off. Where {@link NativeKernels} hash and scan
     * natively the thread ends at once: there is nothing to compile ahead, and on a machine with one
     * CPU the warm-up's own work would only delay the tool's start-up. That check is made on the new
     * thread, not the caller's: finding out loads libxxhash and binds its calls, or waits for the
     * thread already doing that (qvm-to-lvm's start-up prefetch). In a class-initialisation log of
     * a migration in the test VM (a logged run, slower than a plain one) that held the tool's main
     * thread for about 0.4 s.
     */
    public static void start() {
        if (Boolean.parseBoolean(System.getProperty("qubes.copy.warmup", "true"))) {
            startThread(false);
        }
    }

    /**
     * Binds, on the calling thread, the native calls a copy makes: libc's (see {@link NativeCalls})
     * and, where it loads, libxxhash's ({@link NativeKernels}). A tool runs this on a second thread
     * as it starts, so that the binding overlaps with its start-up. Never throws: a call that cannot
     * be bound fails later, at its first real use, with the cause.
     *
     * @return whether all of libc's calls were bound (libxxhash is optional either way)
     */
    public static boolean bindNatives() {
        boolean bound = true;
        try {
            NativeCalls.bindAll();
        } catch (Throwable t) {
            LOG.debug("Binding libc ahead failed: {}", t.toString());
            bound = false;
        }
        NativeKernels.get();
        return bound;
    }

    /** The warm-up thread, once per JVM, whatever the hashing path (tests call this directly). */
    static void startThread() {
        startThread(true);
    }

    private static void startThread(boolean evenWithNativeKernels) {
        if (STARTED.compareAndSet(false, true)) {
            Thread.ofPlatform().name("copy-engine-warmup").daemon().start(() -> {
                if (evenWithNativeKernels || NativeKernels.get().isEmpty()) {
                    run();
                }
            });
        }
    }

    static boolean started() {
        return STARTED.get();
    }

    private static void run() {
        try (Arena arena = Arena.ofConfined();
                NativeFile zeros = NativeFile.openRead(Path.of("/dev/zero"))) {
            MemorySegment data = arena.allocate(CHUNK, 4096);
            MemorySegment zero = arena.allocate(CHUNK, 4096);
            SplittableRandom random = new SplittableRandom(CHUNK);
            for (long i = 0; i < CHUNK; i += Long.BYTES) {
                data.set(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
            }
            ContentDigest digest = new ContentDigest();
            for (int round = 0; round < ROUNDS; round++) {
                zeros.readFully(zero, CHUNK, 0);
                Zeros.isZero(zero, 0, CHUNK);
                digest.addCell(round, data, CHUNK);
            }
            digest.finish((long) ROUNDS * CHUNK);
        } catch (Throwable t) {
            LOG.debug("Copy engine warm-up ended early: {}", t.toString());
        }
    }
}
