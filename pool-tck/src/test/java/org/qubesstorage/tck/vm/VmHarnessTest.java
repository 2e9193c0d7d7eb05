package org.qubesstorage.tck.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmHarnessTest {
    @Test
    void extractsTheScriptsOnceAndLeavesUnchangedOnesAlone(@TempDir Path dir) throws Exception {
        Path run = VmHarness.extract(dir);
        assertThat(run).isExecutable().hasFileName("run-in-vm.sh");
        assertThat(Files.readString(run)).startsWith("#!/bin/bash");
        Path init = dir.resolve("vm-init.sh");
        assertThat(init).isExecutable();
        FileTime old = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(init, old);
        VmHarness.extract(dir);
        assertThat(Files.getLastModifiedTime(init)).as("unchanged content is not rewritten").isEqualTo(old);
        Files.writeString(init, "stale");
        VmHarness.extract(dir);
        assertThat(Files.readString(init)).startsWith("#!/bin/busybox sh");
    }

    @Test
    void sharesTheDirectoriesOfTheClassPath() {
        assertThat(TestVm.directoriesOf("/tmp/a/x.jar:/tmp/a/y.jar::/root/classes/"))
                .containsExactly("/tmp/a", "/root/classes");
    }
}
