/**
 * The layered-template-chain driver ({@code overlay}). So far its layer format
 * ({@link org.qubesstorage.overlay.cow}: the kernel's dm-snapshot exception store, read, written
 * and merged in Java) and the device stack of a running chain ({@link org.qubesstorage.overlay.dm})
 * exist, both checked against the kernel in the test VM. The driver (pool, volumes, revisions,
 * pins) is not implemented yet, and nothing registers it.
 */
package org.qubesstorage.overlay;
