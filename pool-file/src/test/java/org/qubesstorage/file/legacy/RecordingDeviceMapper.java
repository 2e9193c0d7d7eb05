package org.qubesstorage.file.legacy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandResult;
import org.qubesstorage.spi.CommandRunner;

/**
 * Plays losetup and dmsetup for unit tests on a machine without device-mapper: records every
 * argument vector, hands out /dev/loopN names, and represents each dm device as a file in a
 * scratch "mapper" directory so the driver's existence checks see what it created.
 */
final class RecordingDeviceMapper implements CommandRunner {
    final List<List<String>> commands = new ArrayList<>();
    private final Path mapperDir;
    private int nextLoop;

    RecordingDeviceMapper(Path mapperDir) {
        this.mapperDir = mapperDir;
    }

    @Override
    public CommandResult run(Command command) {
        List<String> argv = command.argv();
        commands.add(argv);
        String out = "";
        try {
            if (argv.getFirst().equals("losetup") && argv.contains("--show")) {
                out = "/dev/loop" + nextLoop++ + "\n";
            } else if (argv.getFirst().equals("dmsetup") && argv.get(1).equals("create")) {
                Files.writeString(mapperDir.resolve(argv.getLast()), argv.get(3));
            } else if (argv.getFirst().equals("dmsetup") && argv.get(1).equals("remove")) {
                Files.delete(mapperDir.resolve(argv.getLast()));
            } else if (argv.getFirst().equals("dmsetup") && argv.get(1).equals("info")) {
                if (!Files.exists(mapperDir.resolve(argv.getLast()))) {
                    return new CommandResult(command, 1, "", "Device does not exist.");
                }
            } else if (argv.getFirst().equals("dmsetup") && argv.get(1).equals("load")) {
                Files.writeString(mapperDir.resolve(argv.getLast()), argv.get(3));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new CommandResult(command, 0, out, "");
    }

    /** The recorded commands as single strings, for readable assertions (node and info checks left out). */
    List<String> lines() {
        return commands.stream().filter(a -> !(a.getFirst().equals("dmsetup") && (a.get(1).equals("mknodes") || a.get(1).equals("info"))))
                .map(a -> String.join(" ", a)).toList();
    }
}
