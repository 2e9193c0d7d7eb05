package org.qubesstorage.callback;

import java.util.List;
import org.qubesstorage.spi.DriverContext;
import org.qubesstorage.spi.DriverParameter;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.PoolDriver;
import org.qubesstorage.spi.SpiVersion;
import org.qubesstorage.spi.StorageException;

/**
 * The {@code callback} driver: {@code <pool name="P" driver="callback" conf_id="ID"/>}, the rest in
 * the configuration file ({@link CallbackConfig#file()}). This driver shows the plain plugin style,
 * {@link #create} (the fixture plugin shows the Guice one).
 */
public final class CallbackDriver implements PoolDriver {
    public static final String NAME = "callback";

    @Override
    public String name() {
        return NAME;
    }

    /** Built against SPI 5 ({@code DriverContext.createPool}); works with any host from 5 on. */
    @Override
    public SpiVersion spiVersion() {
        return new SpiVersion(5, SpiVersion.CURRENT);
    }

    @Override
    public List<DriverParameter> parameters() {
        return List.of(DriverParameter.required("conf_id", "The entry of the callback configuration file ("
                + CallbackConfig.DEFAULT_FILE + ") that names the backend driver and the commands"));
    }

    @Override
    public Pool create(PoolConfig config, DriverContext context) {
        String confId = config.parameters().get("conf_id");
        if (confId == null || confId.isEmpty()) {
            throw StorageException.invalidConfiguration("Pool " + config.name() + ": conf_id is empty");
        }
        CallbackConfig cb = CallbackConfig.load(CallbackConfig.file(), confId);
        if (cb.bdriver().equals(NAME) && cb.bdriverArgs().getOrDefault("conf_id", "").equals(confId)) {
            throw StorageException.invalidConfiguration("conf_id " + confId + " wraps itself");
        }
        Pool backend = context.createPool(new PoolConfig(config.name(), cb.bdriver(), cb.bdriverArgs()));
        return new CallbackPool(config.name(), cb, backend, new HookRunner(context.commands(), config.name(), cb));
    }
}
