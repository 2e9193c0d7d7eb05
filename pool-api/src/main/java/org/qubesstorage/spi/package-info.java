/**
 * The storage-pool SPI: what a pool driver implements ({@link org.qubesstorage.spi.PoolDriver},
 * {@link org.qubesstorage.spi.Pool}, {@link org.qubesstorage.spi.Volume}) and the value types and
 * errors they exchange with the host. Plugins see this package, {@code org.qubesstorage.linux},
 * {@code org.qubesstorage.copy}, Guice and SLF4J from the host; nothing else.
 */
package org.qubesstorage.spi;
