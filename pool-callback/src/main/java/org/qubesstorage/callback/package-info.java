/**
 * Upstream's {@code callback} driver as an external plugin: a pool that wraps a pool of any other
 * installed driver and runs the user's commands around its operations, configured per
 * {@code conf_id} in {@code /etc/qubes_callback.json} (qubes-core-admin {@code
 * qubes/storage/callback.py}, since commit 746697ad). Built against {@code pool-api} alone, with
 * its own library bundled: copy this module to start a plugin of your own.
 */
package org.qubesstorage.callback;
