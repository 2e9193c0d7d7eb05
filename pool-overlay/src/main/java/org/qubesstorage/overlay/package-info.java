/**
 * The layered-template-chain driver ({@code overlay}). So far: its layer format
 * ({@link org.qubesstorage.overlay.cow}: the kernel's dm-snapshot exception store, read, written
 * and merged in Java), the device stack of a running chain ({@link org.qubesstorage.overlay.dm}),
 * both checked against the kernel in the test VM, and the catalog of revisions, parents and pins
 * ({@link org.qubesstorage.overlay.catalog}). The pool and volumes that put them together are not
 * written yet, and nothing registers the driver.
 */
package org.qubesstorage.overlay;
