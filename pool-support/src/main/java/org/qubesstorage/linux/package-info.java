/**
 * Linux system calls the storage code needs, through {@code java.lang.foreign} (no JNI, no helper
 * binaries): reflink, the sparse data map, hole punching, durable renames, block-device and loop
 * ioctls. Failures are {@link org.qubesstorage.spi.StorageException}s naming the call, the path and
 * the errno; "not supported here" answers are values callers fall back from.
 */
package org.qubesstorage.linux;
