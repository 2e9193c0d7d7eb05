/**
 * Small helpers a driver may use so that what every driver declares or does alike is written once:
 * the pool parameters upstream's drivers share. Exposed to plugins with
 * {@code org.qubesstorage.spi}, {@code .linux} and {@code .copy}.
 */
package org.qubesstorage.support;
