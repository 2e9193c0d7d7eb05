/** The layered-template-chain driver: not implemented yet; the module builds empty. */
package org.qubesstorage.overlay;
