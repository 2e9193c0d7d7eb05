/**
 * The layered-template-chain driver ({@code overlay}). So far only its layer format exists
 * ({@link org.qubesstorage.overlay.cow}): the kernel's dm-snapshot exception store, read and
 * written in Java and checked against the kernel in the test VM. The driver (pool, volumes,
 * revisions, start and stop) is not implemented yet, and nothing registers it.
 */
package org.qubesstorage.overlay;
