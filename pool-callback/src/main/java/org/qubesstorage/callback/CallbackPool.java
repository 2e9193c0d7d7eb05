package org.qubesstorage.callback;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.qubesstorage.spi.Capability;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.SpaceUse;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/**
 * A pool of another driver (the backend) with the user's commands around its operations, as
 * upstream's {@code CallbackPool}. The backend is made through the host ({@code
 * DriverContext.createPool}) with the configuration's {@code bdriver_args}, under this pool's name.
 *
 * <p>Storage is initialised lazily: before the first operation that needs it, {@code pre_sinit}
 * runs once per process (to unlock or mount what the backend lives on); {@link #setup()} counts as
 * that initialisation and runs {@code pre_setup} instead. Until then, questions that would touch
 * the storage (size, usage, dirty, the block device) answer "unknown" rather than trigger it, as
 * upstream. A failing {@code pre_} command stops its operation before the backend is called.
 */
final class CallbackPool implements Pool {
    private final String name;
    private final CallbackConfig config;
    private final Pool backend;
    private final HookRunner hooks;
    private final ReentrantLock initLock = new ReentrantLock();
    private volatile boolean requiresInit;
    /** One wrapper per backend volume, so that the host sees one object per volume. */
    private final Map<Volume, CallbackVolume> wrappers = new ConcurrentHashMap<>();

    CallbackPool(String name, CallbackConfig config, Pool backend, HookRunner hooks) {
        this.name = name;
        this.config = config;
        this.backend = backend;
        this.hooks = hooks;
        this.requiresInit = hooks.commandFor(Hook.PRE_SINIT).isPresent();
    }

    Pool backend() {
        return backend;
    }

    /** Runs {@code pre_sinit} if the storage is not initialised yet (once; a failure leaves it to the next call). */
    void ensureInitialised() {
        if (!requiresInit) {
            return;
        }
        initLock.lock();
        try {
            if (requiresInit) {
                callback(Hook.PRE_SINIT, List.of());
                requiresInit = false;
            }
        } finally {
            initLock.unlock();
        }
    }

    boolean initialised() {
        return !requiresInit;
    }

    /** Runs {@code hook}'s command; with {@code signal_back}, a {@code SIGNAL_setup} line sets the backend up again. */
    void callback(Hook hook, List<String> volumeArgs) {
        Optional<String> out = hooks.run(hook, volumeArgs);
        if (config.signalBack() && out.isPresent() && out.get().lines().anyMatch("SIGNAL_setup"::equals)) {
            backend.setup();
        }
    }

    CallbackVolume wrap(Volume v) {
        return v instanceof CallbackVolume c ? c : wrappers.computeIfAbsent(v, b -> new CallbackVolume(this, b));
    }

    /** Drops the wrapper of a removed volume: a long-running host removes many (every DispVM's). */
    void forget(Volume backendVolume) {
        wrappers.remove(backendVolume);
    }

    /** The backend's volume behind {@code v} when {@code v} is one of this pool's, else {@code v}. */
    Volume unwrap(Volume v) {
        return v instanceof CallbackVolume c && c.pool() == this ? c.backend() : v;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String driverName() {
        return CallbackDriver.NAME;
    }

    @Override
    public Map<String, String> config() {
        return Map.of("name", name, "driver", CallbackDriver.NAME, "conf_id", config.confId());
    }

    @Override
    public Set<Capability> capabilities() {
        return backend.capabilities();
    }

    @Override
    public void setup() {
        requiresInit = false; // setting up includes initialising the storage, as upstream
        callback(Hook.PRE_SETUP, List.of());
        backend.setup();
    }

    @Override
    public void destroy() {
        ensureInitialised();
        backend.destroy();
        callback(Hook.POST_DESTROY, List.of());
    }

    @Override
    public Volume initVolume(VolumeSpec spec) {
        VolumeSpec forBackend = spec.source().isEmpty() ? spec : new VolumeSpec(spec.domain(), spec.name(), spec.vid(), spec.rw(),
                spec.saveOnStop(), spec.snapOnStart(), spec.revisionsToKeep(), spec.size(), spec.source().map(this::unwrap),
                spec.ephemeral());
        return wrap(backend.initVolume(forBackend));
    }

    @Override
    public Optional<Volume> getVolume(String vid) {
        return backend.getVolume(vid).map(this::wrap);
    }

    @Override
    public List<Volume> listVolumes() {
        return backend.listVolumes().stream().<Volume>map(this::wrap).toList();
    }

    @Override
    public Optional<String> includedIn(Collection<? extends Pool> pools) {
        return requiresInit ? Optional.empty() : backend.includedIn(pools);
    }

    @Override
    public OptionalLong size() {
        return requiresInit ? OptionalLong.empty() : backend.size();
    }

    @Override
    public OptionalLong usage() {
        return requiresInit ? OptionalLong.empty() : backend.usage();
    }

    @Override
    public Map<String, Long> usageDetails() {
        return requiresInit ? Map.of() : backend.usageDetails();
    }

    @Override
    public Optional<String> checkSpace(long dataBytes, long virtualBytes) {
        ensureInitialised();
        return backend.checkSpace(dataBytes, virtualBytes);
    }

    @Override
    public Map<String, SpaceUse> volumeSpace() {
        ensureInitialised();
        return backend.volumeSpace();
    }

    @Override
    public int revisionsToKeep() {
        return backend.revisionsToKeep();
    }

    @Override
    public void setRevisionsToKeep(int revisionsToKeep) {
        backend.setRevisionsToKeep(revisionsToKeep);
    }

    @Override
    public boolean ephemeralVolatile() {
        return backend.ephemeralVolatile();
    }

    @Override
    public void setEphemeralVolatile(boolean ephemeralVolatile) {
        backend.setEphemeralVolatile(ephemeralVolatile);
    }
}
