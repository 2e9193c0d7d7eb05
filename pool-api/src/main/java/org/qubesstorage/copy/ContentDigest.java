package org.qubesstorage.copy;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A digest of a volume's logical content that does not depend on how it is stored: SHA-256 over, for
 * every 4 MiB cell that is not all zeros, its index and its SHA-256, then the logical size. Cells are
 * hashed in parallel by the copy's workers; all-zero cells (holes included) cost nothing.
 */
final class ContentDigest {
    private final Map<Long, byte[]> cellHashes = new ConcurrentSkipListMap<>();

    /** Records cell {@code index}'s content {@code [0, length)} of {@code buffer} unless it is all zeros. */
    void addCell(long index, MemorySegment buffer, long length) {
        if (Zeros.isZero(buffer, 0, length)) {
            return;
        }
        MessageDigest sha = sha256();
        sha.update(buffer.asSlice(0, length).asByteBuffer());
        cellHashes.put(index, sha.digest());
    }

    String finish(long logicalSize) {
        MessageDigest sha = sha256();
        ByteBuffer idx = ByteBuffer.allocate(8);
        for (Map.Entry<Long, byte[]> e : cellHashes.entrySet()) {
            idx.clear();
            idx.putLong(e.getKey()).flip();
            sha.update(idx);
            sha.update(e.getValue());
        }
        idx.clear();
        idx.putLong(logicalSize).flip();
        sha.update(idx);
        return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
