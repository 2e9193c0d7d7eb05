/** The {@code lvm_thin} driver (issue 4): not implemented yet; the module builds empty. */
package org.qubesstorage.lvm;
