/**
 * The overlay driver's layer format: the Linux kernel's persistent exception store of
 * dm-snapshot ({@code drivers/md/dm-snap-persistent.c}), read and written in Java byte for byte as
 * the kernel reads and writes it, so that one layer file serves both a running chain (the kernel's
 * {@code snapshot} target over a loop device) and offline work with no device-mapper at all
 * (export, flatten, usage, committing changes).
 *
 * <p>The layout, in chunks of a power-of-two number of 512-byte sectors: chunk 0 is the header
 * (four little-endian 32-bit words: magic {@code 0x70416e53}, valid, version 1, chunk size in
 * sectors); then metadata areas, area {@code k} at chunk {@code 1 + k (E + 1)}, each followed by
 * the {@code E} data chunks it describes, where {@code E} is the chunk size divided by 16. An area
 * holds exceptions {@code {le64 old_chunk, le64 new_chunk}}: chunk {@code old_chunk} of the origin
 * reads from chunk {@code new_chunk} of this file. The first entry whose {@code new_chunk} is 0
 * ends the table; an area with no such entry is full and the table goes on in the next one.
 */
package org.qubesstorage.overlay.cow;
