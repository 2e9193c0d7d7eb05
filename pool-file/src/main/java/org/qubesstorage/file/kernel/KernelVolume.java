package org.qubesstorage.file.kernel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.qubesstorage.support.ImageCopy;
import org.qubesstorage.spi.AbstractVolume;
import org.qubesstorage.spi.BlockDevice;
import org.qubesstorage.spi.Revision;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.VolumeConfig;

/** A kernel: nothing to create, start or stop; its block device is {@code modules.img} if present. */
final class KernelVolume extends AbstractVolume {
    private final LinuxKernelPool pool;

    KernelVolume(LinuxKernelPool pool, VolumeConfig config) {
        super(pool, config, Optional.empty());
        this.pool = pool;
    }

    private Optional<Path> kernelDir() {
        return vid().isEmpty() ? Optional.empty() : Optional.of(pool.directory().resolve(vid()));
    }

    @Override
    public void create() {
    }

    @Override
    public void remove() {
    }

    @Override
    public void start() {
    }

    @Override
    public void stop() {
    }

    @Override
    public boolean isDirty() {
        return false;
    }

    @Override
    public List<Revision> revisions() {
        return List.of();
    }

    @Override
    public void verify() {
        Optional<Path> d = kernelDir();
        if (d.isPresent()) {
            for (String f : List.of("vmlinuz", "initramfs")) {
                if (!Files.exists(d.get().resolve(f))) {
                    throw StorageException.notFound("VM kernel does not exist: " + d.get().resolve(f));
                }
            }
        }
    }

    @Override
    public Optional<BlockDevice> blockDevice() {
        return kernelDir().map(d -> d.resolve("modules.img")).filter(Files::exists)
                .map(p -> BlockDevice.disk(p, name(), false));
    }

    @Override
    public long size() {
        return kernelDir().map(d -> d.resolve("modules.img")).filter(Files::exists).map(ImageCopy::size).orElse(0L);
    }

    @Override
    public OptionalLong usage() {
        return OptionalLong.of(0);
    }
}
