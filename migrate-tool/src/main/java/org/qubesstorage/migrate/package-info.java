/** {@code qvm-to-lvm} (issue 5): not implemented yet; the module builds empty. */
package org.qubesstorage.migrate;
