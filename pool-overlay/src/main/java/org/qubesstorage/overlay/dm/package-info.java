/**
 * How a running layered volume becomes one block device: a stack of the kernel's {@code snapshot}
 * targets over loop devices, one level per layer of its chain.
 */
package org.qubesstorage.overlay.dm;
