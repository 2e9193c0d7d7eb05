package org.qubesstorage.spi;

/**
 * The version of this SPI, and the range a driver declares it works with.
 *
 * <p>{@link #CURRENT} grows by one for every change a driver could notice. A change that breaks
 * drivers built against older versions also raises {@link #OLDEST_COMPATIBLE}. The host loads a
 * driver only if the driver needs no newer SPI than this host implements ({@code min <= CURRENT})
 * and was built for one this host still supports ({@code max >= OLDEST_COMPATIBLE}): additive
 * changes therefore keep older drivers loading; see {@code SPI-CHANGELOG.md}.
 *
 * @param min the oldest SPI version the driver works with
 * @param max the newest SPI version the driver was tested against and works with
 */
public record SpiVersion(int min, int max) {
    /** The SPI version this pool-api implements. */
    public static final int CURRENT = 5;
    /** The oldest SPI version whose drivers still work with this host. */
    public static final int OLDEST_COMPATIBLE = 1;

    public SpiVersion {
        if (min < 1 || max < min) {
            throw new IllegalArgumentException("Invalid SPI version range [" + min + ", " + max + "]");
        }
    }

    /** The range of a driver built against this pool-api and nothing else. */
    public static SpiVersion current() {
        return new SpiVersion(CURRENT, CURRENT);
    }

    /** Whether a driver declaring this range can run on this host. */
    public boolean supportsHost() {
        return min <= CURRENT && max >= OLDEST_COMPATIBLE;
    }

    @Override
    public String toString() {
        return min == max ? Integer.toString(min) : "[" + min + ", " + max + "]";
    }
}
