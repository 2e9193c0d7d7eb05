/**
 * The {@code overlay} driver: template chains whose branches store only their own changes. A
 * pool ({@link org.qubesstorage.overlay.OverlayPool}) keeps each volume's revisions in its
 * directory ({@link org.qubesstorage.overlay.catalog}); a layer is the kernel's dm-snapshot
 * exception store, read, written and merged in Java ({@link org.qubesstorage.overlay.cow}); a run
 * is a stack of snapshot targets ({@link org.qubesstorage.overlay.dm}).
 */
package org.qubesstorage.overlay;
