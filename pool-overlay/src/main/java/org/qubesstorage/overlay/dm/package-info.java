/**
 * How a running layered volume becomes one block device: the committed chain mapped extent by
 * extent with one {@code linear} table over loop devices of its files, and the kernel's
 * {@code snapshot} target on top taking the run's writes.
 */
package org.qubesstorage.overlay.dm;
