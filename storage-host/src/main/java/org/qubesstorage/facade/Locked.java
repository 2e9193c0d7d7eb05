package org.qubesstorage.facade;

import java.util.function.Supplier;
import org.qubesstorage.spi.Volume;

/** Runs a mutating volume call while holding the volume's lock, as the SPI contract requires. */
public final class Locked {
    private Locked() {}

    public static void run(Volume volume, Runnable action) {
        volume.lock().lock();
        try {
            action.run();
        } finally {
            volume.lock().unlock();
        }
    }

    public static <T> T call(Volume volume, Supplier<T> action) {
        volume.lock().lock();
        try {
            return action.get();
        } finally {
            volume.lock().unlock();
        }
    }
}
