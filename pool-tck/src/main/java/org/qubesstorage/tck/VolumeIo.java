package org.qubesstorage.tck;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How the kit reads and writes a volume's bytes through the path a driver returns (an image file or
 * a block device). The default opens the path directly; a driver whose devices live elsewhere (in a
 * VM) runs the kit where they are, or overrides this.
 */
public interface VolumeIo {
    VolumeIo DIRECT = new VolumeIo() {};

    default void write(Path path, long offset, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            long pos = offset;
            while (b.hasRemaining()) {
                pos += ch.write(b, pos);
            }
            ch.force(true);
        }
    }

    default byte[] read(Path path, long offset, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(length);
            long pos = offset;
            while (b.hasRemaining()) {
                int n = ch.read(b, pos);
                if (n < 0) {
                    break;
                }
                pos += n;
            }
            return b.array();
        }
    }
}
