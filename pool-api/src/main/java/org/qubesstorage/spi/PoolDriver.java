package org.qubesstorage.spi;

import com.google.inject.Module;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The entry point of a pool driver, found by {@link java.util.ServiceLoader} through
 * {@code META-INF/services/org.qubesstorage.spi.PoolDriver}, on the class path or in a plugin
 * directory.
 *
 * <p>Keep the implementing class cheap to construct (a public no-argument constructor, no I/O): the
 * host instantiates every driver it finds to read its name and version range, also for drivers no
 * pool uses. A driver's constructor or methods throwing is reported as a broken plugin, never fatal
 * to the host.
 *
 * <p>Parameters {@code name} and {@code driver} are the host's; every other attribute of a
 * {@code <pool>} element must be a declared {@link DriverParameter}, or the host refuses the pool
 * listing the accepted ones.
 */
public interface PoolDriver {

    /** The driver name used in {@code qubes.xml}'s {@code driver} attribute; unique among drivers. */
    String name();

    /** The SPI versions this driver works with; the host refuses it when its own is outside. */
    SpiVersion spiVersion();

    /** The parameters a {@code <pool>} of this driver accepts, in the order listings show them. */
    List<DriverParameter> parameters();

    /**
     * Makes a pool from a configuration the host has validated against {@link #parameters()}.
     * Touches no disk (that is {@link Pool#setup()}'s job); throws
     * {@link ErrorCode#INVALID_CONFIGURATION} for values it cannot use. Called only when
     * {@link #module()} is empty; a driver that provides a module binds {@link Pool} there instead.
     */
    default Pool create(PoolConfig config, DriverContext context) {
        throw StorageException.notSupported(name(), "create(): the driver neither implements it nor binds Pool in module()");
    }

    /**
     * A hint that a pool with these {@code parameters} (some of a {@code <pool>} element's
     * attributes, not yet validated) is about to be made: the driver may start reading its backend
     * ahead, on a thread of its own (lvm_thin reads the volume group's {@code lvs} report while the
     * host still reads qubes.xml). Called by a host that knows the pool before it has read qubes.xml,
     * at most once per configuration, or never. Must return at once and never throw: a bad value is
     * reported by {@link #create} or {@link Pool#setup()} exactly as without the hint. Does nothing
     * by default.
     */
    default void prepare(Map<String, String> parameters, DriverContext context) {
    }

    /**
     * A Guice module for the driver's own internals. When present, the host makes each pool in a
     * child injector of its own (or a fresh injector without a host one) where it binds the pool's
     * {@link PoolConfig}, the {@link DriverContext} and this {@link PoolDriver}; the module must bind
     * {@link Pool}, and its other bindings never leak into the host. Empty by default.
     */
    default Optional<Module> module() {
        return Optional.empty();
    }
}
