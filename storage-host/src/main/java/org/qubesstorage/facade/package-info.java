/**
 * The per-domain storage facade (upstream's {@code Storage}): resolving volumes from
 * {@code qubes.xml} through template chains and driving a domain's volumes together.
 */
package org.qubesstorage.facade;
