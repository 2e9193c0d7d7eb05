package org.qubesstorage.facade;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.linux.DeviceMapper;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandRunner;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;

/**
 * Upstream's {@code start_encrypted} and {@code stop_encrypted} ({@code qubes/storage/__init__.py}):
 * an {@code ephemeral} volume runs behind a plain dm-crypt mapping whose key cryptsetup reads from
 * {@code /dev/urandom} and nobody ever sees, so what the domain writes is unreadable once the
 * mapping is gone (a stop, a crash, a reboot). Works over any driver's block device, a file
 * included (cryptsetup attaches a loop device itself).
 */
public final class EphemeralCrypt {
    /** Upstream's {@code BYTES_TO_ZERO}: the start of a fresh mapping reads as zeros, not key-dependent noise. */
    static final int BYTES_TO_ZERO = 1 << 16;
    private static final Path MAPPER = Path.of("/dev/mapper");

    /** What {@link #mapping} makes: the escaped qube name has no dash, the volume name no slash. */
    private static final Pattern NAMES = Pattern.compile("\\Avm-volatile-[A-Za-z0-9_.]+-crypt@[A-Za-z0-9_.-]+\\z");

    private final CommandRunner runner;
    /** Node bookkeeping: where no udev tidies /dev/mapper, a node outlives its device and the reverse. */
    private final DeviceMapper dm;

    public EphemeralCrypt(CommandRunner runner) {
        this.runner = requireNonNull(runner, "runner");
        this.dm = DeviceMapper.kernel(NAMES);
    }

    /** Real cryptsetup, without a shell. */
    public static EphemeralCrypt system() {
        return new EphemeralCrypt(new ExecCommandRunner());
    }

    /**
     * Upstream's {@code encrypted_volume_path}: {@code vm-volatile-<qube>-crypt@<volume>}, the qube's
     * {@code _} written {@code _u} and {@code -} written {@code _d}, so no two qubes share a name and
     * none collides with LVM's (which double their dashes) or LUKS's ({@code luks-<uuid>}).
     */
    public static Path mapping(String qube, String volume) {
        String name = "vm-volatile-" + qube.replace("_", "_u").replace("-", "_d") + "-crypt@" + volume;
        if (!NAMES.matcher(name).matches()) {
            throw StorageException.invalidArgument("No encrypted volume name for qube '" + qube + "', volume '" + volume + "'");
        }
        return MAPPER.resolve(name);
    }

    /** Starts {@code v} (its lock held) behind a fresh mapping at {@code mapping}, closing a stale one first. */
    void start(Volume v, Path mapping) {
        closeIfOpen(mapping);
        v.start();
        Path backing = v.blockDevice().orElseThrow(() -> StorageException.invalidArgument(
                "Volume " + v.vid() + " is ephemeral but has no block device to encrypt")).path();
        String name = mapping.getFileName().toString();
        run("open", List.of("cryptsetup", "--key-file=/dev/urandom", "--cipher=aes-xts-plain64", "--type=plain", "--",
                "open", backing.toString(), name));
        dm.ensureNode(name);
        try (FileChannel ch = FileChannel.open(mapping, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocate(BYTES_TO_ZERO);
            while (zeros.hasRemaining()) {
                ch.write(zeros, zeros.position());
            }
            ch.force(false);
        } catch (IOException e) {
            closeIfOpen(mapping);
            throw StorageException.backend("Cannot clear the start of " + mapping + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code v} runs behind a throw-away key (upstream's {@code ephemeral} getter). */
    static boolean isEphemeral(Volume v) {
        return v.config().effectiveEphemeral(v.pool().ephemeralVolatile());
    }

    /**
     * Stops {@code v} (its lock held), closing its mapping first if there is one: also after
     * {@code ephemeral} was turned off, which leaves the node behind. A plain volume without a node
     * costs one stat, not a look through sysfs.
     */
    void stop(Volume v, Path mapping) {
        if (isEphemeral(v) || Files.exists(mapping, LinkOption.NOFOLLOW_LINKS)) {
            closeIfOpen(mapping);
        }
        v.stop();
    }

    /** Closes the mapping if the kernel has it (a stale node alone is dropped). */
    private void closeIfOpen(Path mapping) {
        String name = mapping.getFileName().toString();
        if (dm.ensureNode(name)) {
            run("close", List.of("cryptsetup", "--", "close", name));
            dm.ensureNode(name);
        }
    }

    private void run(String what, List<String> argv) {
        runner.run(new Command(argv, Map.of(), Duration.ofMinutes(2))).requireSuccess("cryptsetup " + what);
    }
}
