package org.qubesstorage.file.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/** The {@code file} driver's device-mapper stacking under interference (run inside the VM by {@link FileInVmIT}). */
@DisplayName("file driver scenarios on real device-mapper (in the VM)")
public class InVmFileScenarios {
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    /**
     * An LVM scan or udev's blkid opens every block device for a moment, and CI once lost a domain's stop
     * to it (EBUSY from {@code dmsetup remove}; why and how often: {@code DeviceMapper.remove}). Here that
     * brief open is made certain: each device is held open for a second as its volume stops, and the stop
     * must still succeed and leave no device behind.
     */
    @Test
    @DisplayName("file volumes stop cleanly while something holds their device open for a moment (an LVM scan, udev)")
    void fileStopWhileDeviceBrieflyOpen() throws Exception {
        Pool files = InVmFileKit.filePool(tmp.resolve("file-pool"), tmp.resolve("run"));
        Volume template = files.initVolume(VolumeSpec.origin(new DomainRef("tpl", true), "root", 8 * MIB));
        Locked.run(template, template::create);
        DomainRef work = new DomainRef("work", false);
        Volume root = files.initVolume(VolumeSpec.snapshot(work, "root", template, true));
        Volume privateVolume = files.initVolume(VolumeSpec.origin(work, "private", 8 * MIB));
        for (Volume v : List.of(root, privateVolume)) {
            Locked.run(v, v::create);
            Locked.run(v, v::start);
            Path device = v.blockDevice().orElseThrow().path();
            Thread closer = holdOpenBriefly(device);
            Locked.run(v, v::stop);
            closer.join();
            assertThat(device).as("%s's device after stop", v.name()).doesNotExist();
            Locked.run(v, v::remove);
        }
        Locked.run(template, template::remove);
    }

    /** Opens {@code device} now, as a scanner would, and closes it a second later on another thread. */
    private static Thread holdOpenBriefly(Path device) throws Exception {
        RandomAccessFile open = new RandomAccessFile(device.toFile(), "r");
        return Thread.ofVirtual().start(() -> {
            try (open) {
                Thread.sleep(1000);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
