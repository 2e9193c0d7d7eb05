package org.qubesstorage.linux;

import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

/**
 * Builds the {@link StorageException} for a failed system call: the call, the path and the errno
 * as a person reads it ("fallocate /x/y.img: No space left on device (errno 28)"). ENOSPC maps to
 * {@link ErrorCode#INSUFFICIENT_SPACE}, ENOENT to {@link ErrorCode#NOT_FOUND}, EBUSY to
 * {@link ErrorCode#BUSY}; everything else is a backend failure.
 */
final class SyscallException {
    private SyscallException() {}

    static StorageException of(String call, Object target, int errno) {
        String message = call + " " + target + ": " + Libc.strerror(errno) + " (errno " + errno + ")";
        ErrorCode code = switch (errno) {
            case Libc.ENOSPC -> ErrorCode.INSUFFICIENT_SPACE;
            case Libc.ENOENT -> ErrorCode.NOT_FOUND;
            case Libc.EBUSY -> ErrorCode.BUSY;
            default -> ErrorCode.BACKEND_FAILURE;
        };
        return new StorageException(code, message);
    }
}
