package org.qubesstorage.copy;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy's two hot loops in native code where the host has it: XXH3-128 from the system's
 * libxxhash (0.8 or later, the reference implementation; {@code libxxhash0} on Debian, a dependency
 * of apt, and {@code xxhash-libs} on Fedora, a dependency of rsync), and the all-zero test through
 * libc's {@code memcmp}. Where libxxhash is missing the callers use hash4j and
 * {@link java.lang.foreign.MemorySegment#mismatch}; both give the same answers (tested).
 *
 * <p>Why: in Java both loops are only fast once C2 has compiled them, and a short-lived tool pays
 * for those compilations with CPU time the copy itself needs; the native ones are fast from the
 * first byte (the figures are in {@code bench/HISTORY.md}).
 *
 * <p>Where the library has it, the hash is {@code XXH3_128bits_dispatch}: the same function behind
 * a run-time choice of the widest vector unit the CPU has (AVX-512, AVX2, else SSE2), exported by
 * libxxhash builds made with {@code DISPATCH=1} (Debian's is). Plain {@code XXH3_128bits} is fixed
 * at the compile-time baseline, SSE2 on x86-64, and gives identical results more slowly.
 *
 * <p>{@code -Dqubes.copy.native-hash=false} turns the native path off. Calls are thread-safe and
 * hold no lock; the library is bound once per JVM.
 */
final class NativeKernels {
    private static final Logger LOG = LoggerFactory.getLogger(NativeKernels.class);

    /** {@code XXH128_hash_t}: {@code { XXH64_hash_t low64; XXH64_hash_t high64; }}. */
    private static final StructLayout XXH128 = MemoryLayout.structLayout(JAVA_LONG.withName("low64"), JAVA_LONG.withName("high64"));

    /** The run-time dispatched XXH3-128, where libxxhash was built with it. */
    static final String DISPATCHED_HASH = "XXH3_128bits_dispatch";
    /** XXH3-128 at the library's compile-time vector baseline; every libxxhash 0.8 has it. */
    static final String BASELINE_HASH = "XXH3_128bits";

    private static final Optional<NativeKernels> INSTANCE = load();

    private final MethodHandle xxh3_128;
    private final MethodHandle memcmp;

    private NativeKernels(MethodHandle xxh3_128, MethodHandle memcmp) {
        this.xxh3_128 = xxh3_128;
        this.memcmp = memcmp;
    }

    /** The native kernels, or empty where libxxhash cannot be loaded or they are turned off. */
    static Optional<NativeKernels> get() {
        return INSTANCE;
    }

    /**
     * XXH3-128 (seed 0) of {@code [offset, offset + length)} of native memory, as
     * {@code {high64, low64}}: hash4j's {@code HashValue128(mostSignificantBits, leastSignificantBits)}.
     */
    long[] xxh3_128(MemorySegment memory, long offset, long length) {
        MemorySegment slice = memory.asSlice(offset, length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment result = (MemorySegment) xxh3_128.invokeExact((SegmentAllocator) arena, slice, length);
            return new long[] {result.get(JAVA_LONG, 8), result.get(JAVA_LONG, 0)};
        } catch (Throwable t) {
            throw new IllegalStateException("XXH3_128bits failed", t);
        }
    }

    /**
     * XXH3-128 of {@code length} bytes at {@code memory}'s start into {@code result} (16 bytes,
     * {@code low64} then {@code high64}), allocating nothing: for hashing many small blocks.
     */
    void xxh3_128Into(MemorySegment memory, long length, SegmentAllocator result) {
        try {
            MemorySegment ignored = (MemorySegment) xxh3_128.invokeExact(result, memory, length);
        } catch (Throwable t) {
            throw new IllegalStateException("XXH3_128bits failed", t);
        }
    }

    /** Whether {@code [offset, offset + length)} of {@code memory} equals the same range of {@code zeros}. */
    boolean equal(MemorySegment memory, long offset, MemorySegment zeros, long length) {
        try {
            return (int) memcmp.invokeExact(memory.asSlice(offset, length), zeros, length) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException("memcmp failed", t);
        }
    }

    private static Optional<NativeKernels> load() {
        if (!Boolean.parseBoolean(System.getProperty("qubes.copy.native-hash", "true"))) {
            return Optional.empty();
        }
        return bind(true);
    }

    /**
     * Binds libxxhash and memcmp; {@code preferDispatched} false binds the baseline hash even where
     * the dispatched one exists (tests compare the two).
     */
    static Optional<NativeKernels> bind(boolean preferDispatched) {
        try {
            Linker linker = Linker.nativeLinker();
            // The versioned soname: the unversioned libxxhash.so exists only with the -dev package.
            SymbolLookup xxhash = SymbolLookup.libraryLookup("libxxhash.so.0", Arena.global());
            Optional<MemorySegment> dispatched = preferDispatched ? xxhash.find(DISPATCHED_HASH) : Optional.empty();
            MemorySegment hashFunction = dispatched.orElseGet(() -> xxhash.findOrThrow(BASELINE_HASH));
            LOG.debug("hashing with libxxhash's {}", dispatched.isPresent() ? DISPATCHED_HASH : BASELINE_HASH);
            MethodHandle hash = linker.downcallHandle(hashFunction, FunctionDescriptor.of(XXH128, ADDRESS, JAVA_LONG));
            // critical: no thread-state transition for a call that only reads memory and returns.
            MethodHandle memcmp = linker.downcallHandle(linker.defaultLookup().findOrThrow("memcmp"),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), Linker.Option.critical(false));
            return Optional.of(new NativeKernels(hash, memcmp));
        } catch (IllegalArgumentException | UnsatisfiedLinkError | java.util.NoSuchElementException e) {
            LOG.debug("libxxhash not usable, hashing in Java: {}", e.toString());
            return Optional.empty();
        }
    }
}
