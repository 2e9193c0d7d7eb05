/**
 * Offline block deduplication across a pool's stopped volumes: a streaming scan hashes every
 * aligned block into on-disk buckets (so memory stays bounded whatever the pool's size), each
 * bucket is grouped by content, and the copies that do not already share storage are handed to the
 * kernel's {@code FIDEDUPERANGE}, which compares the bytes before sharing them.
 */
package org.qubesstorage.dedup;
