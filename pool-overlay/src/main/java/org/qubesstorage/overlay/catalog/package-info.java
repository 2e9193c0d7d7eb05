/**
 * The overlay pool's record of its volumes, kept in the files themselves: each volume's directory
 * holds its committed revisions (a base image, or a layer's store and the parent it sits on), so
 * that which revisions are pinned, which volumes are behind their parent, and what a chain is made
 * of are read from the disk, crash-consistent by the order in which the files land.
 */
package org.qubesstorage.overlay.catalog;
