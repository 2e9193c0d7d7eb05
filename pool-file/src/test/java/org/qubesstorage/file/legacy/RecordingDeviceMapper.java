package org.qubesstorage.file.legacy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qubesstorage.linux.DeviceMapperBackend;

/**
 * Plays the kernel for unit tests on a machine without device-mapper: records every step as a
 * line ("loop FILE", "create NAME TABLE", "reload NAME TABLE", "remove NAME", "detach LOOP"),
 * hands out /dev/loopN names, and represents each dm device as a file in a scratch "mapper"
 * directory so the driver's existence checks see what it created.
 */
final class RecordingDeviceMapper implements DeviceMapperBackend {
    final List<String> lines = new ArrayList<>();
    private final Path mapperDir;
    private int nextLoop;

    RecordingDeviceMapper(Path mapperDir) {
        this.mapperDir = mapperDir;
    }

    @Override
    public Path mapperDir() {
        return mapperDir;
    }

    @Override
    public Path attachLoop(Path file, boolean readOnly) {
        lines.add("loop " + file + (readOnly ? " ro" : ""));
        return Path.of("/dev/loop" + nextLoop++);
    }

    @Override
    public void detachLoop(Path loop) {
        lines.add("detach " + loop);
    }

    @Override
    public void create(String name, String table, boolean readOnly) {
        lines.add("create " + name + " " + table + (readOnly ? " ro" : ""));
        write(name, table);
    }

    @Override
    public void reload(String name, String table) {
        lines.add("reload " + name + " " + table);
        write(name, table);
    }

    @Override
    public boolean loaded(String name) {
        return Files.exists(mapperDir.resolve(name));
    }

    @Override
    public void remove(String name) {
        lines.add("remove " + name);
        try {
            Files.deleteIfExists(mapperDir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean syncNode(String name) {
        return loaded(name); // the file is device and node at once
    }

    private void write(String name, String table) {
        try {
            Files.writeString(mapperDir.resolve(name), table);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
