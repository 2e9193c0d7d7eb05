package org.qubesstorage.demo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.tck.LocalDeviceMapper;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandResult;

/**
 * The demo's thin pool: a volume group on an empty disk (in the VM) or on a loop device over a
 * sparse file, with one thin pool; all of it removed on close.
 */
final class DemoLvm implements AutoCloseable {
    private final ExecCommandRunner commands = new ExecCommandRunner();
    private final String vg = "qvmdemo" + ProcessHandle.current().pid();
    private final List<Runnable> undo = new ArrayList<>();
    private Path pv;

    /** Whether this process can make a thin pool here: root, lvm2, and a kernel with device-mapper. */
    static boolean available() {
        return LocalDeviceMapper.usable();
    }

    static DemoLvm create(Path dir, Optional<Path> device) {
        DemoLvm d = new DemoLvm();
        try {
            d.setUp(dir, device);
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    private void setUp(Path dir, Optional<Path> device) {
        if (device.isPresent()) {
            pv = device.get();
        } else {
            Path file = dir.resolve("pv.img");
            run("truncate", "-s", "3G", "--", file.toString());
            pv = Path.of(run("losetup", "--find", "--show", "--", file.toString()).strip());
            undo.add(() -> run("losetup", "-d", "--", pv.toString()));
        }
        run("lvm", "pvcreate", "-q", "-y", "--", pv.toString());
        undo.add(() -> run("lvm", "pvremove", "-q", "-y", "--", pv.toString()));
        run("lvm", "vgcreate", "-q", "--", vg, pv.toString());
        undo.add(() -> run("lvm", "vgremove", "-q", "-f", "--", vg));
        run("lvm", "lvcreate", "-q", "--type", "thin-pool", "-L", "2G", "-n", thinPool(), "--", vg);
    }

    String vg() {
        return vg;
    }

    String thinPool() {
        return "vm-pool";
    }

    Path pv() {
        return pv;
    }

    String lvs() {
        return run("lvm", "lvs", "-o", "lv_name,lv_size,data_percent,pool_lv", "--", vg);
    }

    private String run(String... argv) {
        CommandResult r = commands.run(Command.of(argv));
        return r.requireSuccess(String.join(" ", argv)).stdout();
    }

    @Override
    public void close() {
        for (int i = undo.size() - 1; i >= 0; i--) {
            try {
                undo.get(i).run();
            } catch (RuntimeException e) {
                System.err.println("qvm-to-lvm demo: cleanup step failed: " + e.getMessage());
            }
        }
        undo.clear();
    }
}
