package org.qubesstorage.overlay.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.host.ExecCommandRunner;
import org.qubesstorage.host.HostDriverContext;
import org.qubesstorage.linux.DeviceMapperBackend;
import org.qubesstorage.linux.LoopDevices;
import org.qubesstorage.overlay.CommitObserver;
import org.qubesstorage.overlay.CommitStep;
import org.qubesstorage.overlay.OverlayDriver;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.PoolConfig;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/**
 * Starts and stops of an {@code overlay} volume killed after each of their device-mapper and loop
 * steps (a kernel backend that refuses every step after the n-th, as a process killed there
 * would leave things) and commits killed after each of their file steps (an observer that throws where
 * the process would die), then taken over by a new pool object, as after a restart (run inside the VM by
 * {@link OverlayInVmIT}). Nothing committed or written is lost, and nothing is left stacked.
 */
@DisplayName("overlay starts and stops killed half-way (in the VM)")
public class InVmOverlayCrashes {
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    /**
     * Takes the first {@code limit} kernel steps (attaching or detaching a loop device, making,
     * reloading, querying or removing a device-mapper device or its node), then fails every one,
     * like a process killed there.
     */
    static final class KillingKernel implements DeviceMapperBackend {
        private final DeviceMapperBackend real = DeviceMapperBackend.kernel();
        private final int limit;
        private int taken;

        KillingKernel(int limit) {
            this.limit = limit;
        }

        private void step(String what) {
            if (++taken > limit) {
                throw new IllegalStateException("simulated kill before " + what);
            }
        }

        @Override
        public Path mapperDir() {
            return real.mapperDir();
        }

        @Override
        public Path attachLoop(Path file, boolean readOnly) {
            step("attaching " + file);
            return real.attachLoop(file, readOnly);
        }

        @Override
        public void detachLoop(Path loop) {
            step("detaching " + loop);
            real.detachLoop(loop);
        }

        @Override
        public void create(String name, String table, boolean readOnly) {
            step("creating " + name);
            real.create(name, table, readOnly);
        }

        @Override
        public void reload(String name, String table) {
            step("reloading " + name);
            real.reload(name, table);
        }

        @Override
        public boolean loaded(String name) {
            step("looking up " + name);
            return real.loaded(name);
        }

        @Override
        public void remove(String name) {
            step("removing " + name);
            real.remove(name);
        }

        @Override
        public boolean syncNode(String name) {
            step("checking the node of " + name);
            return real.syncNode(name);
        }
    }

    /** What a process killed at a commit step leaves: no code after that step runs. */
    static final class Killed extends Error {
        Killed(CommitStep step) {
            super("simulated kill after " + step);
        }
    }

    private Pool pool(Path dir) {
        return pool(dir, DeviceMapperBackend.kernel(), CommitObserver.NONE);
    }

    private Pool pool(Path dir, DeviceMapperBackend kernel) {
        return pool(dir, kernel, CommitObserver.NONE);
    }

    private Pool pool(Path dir, DeviceMapperBackend kernel, CommitObserver observer) {
        Pool p = new OverlayDriver(observer, kernel).create(new PoolConfig("crash", OverlayDriver.NAME, Map.of("dir_path", dir.toString())),
                new HostDriverContext(new ExecCommandRunner(), Clock.systemUTC(), tmp.resolve("run")));
        p.setup();
        return p;
    }

    private static byte[] data(long seed) {
        byte[] b = new byte[(int) MIB];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void write(Volume v, byte[] d) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(v.blockDevice().orElseThrow().path().toFile(), "rw")) {
            f.write(d);
            f.getFD().sync();
        }
    }

    private static byte[] read(Path p) throws Exception {
        byte[] b = new byte[(int) MIB];
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            f.readFully(b);
        }
        return b;
    }

    /** A new, empty template volume (a base image) in {@code p}. */
    private static Volume template(Pool p, String name) {
        Volume tpl = p.initVolume(VolumeSpec.origin(new DomainRef(name + "-tpl", true), "root", 16 * MIB));
        Locked.run(tpl, tpl::create);
        return tpl;
    }

    /** A branch volume (a layer over a template) with one committed write, ready for the crash under test. */
    private Volume[] branch(Path dir, String name) throws Exception {
        Pool p = pool(dir);
        Volume tpl = template(p, name);
        Volume v = p.initVolume(VolumeSpec.origin(new DomainRef(name, true), "root", 16 * MIB));
        Locked.run(v, () -> v.importVolume(tpl));
        Locked.run(v, v::start);
        write(v, data(1));
        Locked.run(v, v::stop);
        return new Volume[] {tpl, v};
    }

    private static Volume same(Pool p, Volume v) {
        return p.initVolume(VolumeSpec.origin(new DomainRef(v.config().vid().split("/")[1], true), "root", 16 * MIB)
                .withVid(v.vid()));
    }

    private static void assertNothingStacked(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(LoopDevices.backedBy(f)).as("loop devices on %s", f).isEmpty();
            }
        }
        assertThat(new ExecCommandRunner().run(Command.of("dmsetup", "ls")).stdout()).as("devices the kernel still has")
                .doesNotContain("qov-");
    }

    @ParameterizedTest(name = "killed after {0} kernel steps")
    @ValueSource(ints = {1, 3, 5})
    @DisplayName("a stop killed half-way loses nothing: the next start resumes the run, the next stop commits it")
    void killedStop(int steps) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("stop-" + steps));
        Volume v = branch(dir, "stop" + steps)[1];
        Locked.run(v, v::start);
        write(v, data(2));
        Volume dying = same(pool(dir, new KillingKernel(steps)), v);
        assertThatThrownBy(() -> Locked.run(dying, dying::stop)).hasMessageContaining("simulated kill");

        Volume after = same(pool(dir), v);
        assertThat(after.isDirty()).as("the run was not committed").isTrue();
        Locked.run(after, after::start);
        assertThat(read(after.blockDevice().orElseThrow().path())).as("the run's writes after the kill").isEqualTo(data(2));
        Locked.run(after, after::stop);
        assertThat(after.isDirty()).isFalse();
        Path exported = after.export();
        try {
            assertThat(read(exported)).isEqualTo(data(2));
        } finally {
            after.exportEnd(exported);
        }
        assertNothingStacked(dir);
    }

    static Stream<Arguments> commitKills() {
        return Stream.of(CommitStep.values()).flatMap(step -> Stream.of(Arguments.of("a template over its base image", step),
                Arguments.of("a branch layer", step)));
    }

    /**
     * Over a base the session becomes the layer as it is; over a layer it is folded into it: two
     * different step sequences. The template's is recovered by a stop alone, the branch's by a start
     * (which resumes the run) and a stop.
     */
    @ParameterizedTest(name = "{0}, killed after {1}")
    @MethodSource("commitKills")
    @DisplayName("a commit killed after each of its steps loses nothing: the run is committed after it or by the next stop")
    void killedCommit(String kind, CommitStep step) throws Exception {
        boolean template = kind.startsWith("a template");
        Path dir = Files.createDirectories(tmp.resolve("commit-" + (template ? "tpl-" : "branch-") + step));
        Volume v = template ? template(pool(dir), "t" + step.ordinal()) : branch(dir, "b" + step.ordinal())[1];
        runAndKillCommit(dir, v, step);

        Volume after = same(pool(dir), v);
        boolean committed = step.compareTo(CommitStep.COMMITTED) >= 0;
        assertThat(after.isDirty()).as("dirty until the commit point").isEqualTo(!committed);
        if (!template) {
            Locked.run(after, after::start);
            assertThat(read(after.blockDevice().orElseThrow().path())).as("the run's writes, resumed").isEqualTo(data(2));
        }
        Locked.run(after, after::stop);
        assertThat(after.isDirty()).isFalse();
        Path exported = after.export();
        try {
            assertThat(read(exported)).as("the committed data after the kill and a stop").isEqualTo(data(2));
        } finally {
            after.exportEnd(exported);
        }
        assertNoLeftovers(dir);
        assertNothingStacked(dir);
    }

    @ParameterizedTest(name = "killed after {0}")
    @EnumSource(value = CommitStep.class, names = {"SESSION_SET_ASIDE", "STORE_IN_PLACE"})
    @DisplayName("a volume whose commit was killed is removed whole")
    void removedAfterKilledCommit(CommitStep step) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("remove-" + step));
        Volume[] made = branch(dir, "r" + step.ordinal());
        Volume v = made[1];
        runAndKillCommit(dir, v, step);
        Pool p = pool(dir);
        Volume after = same(p, v);
        Locked.run(after, after::remove);
        try (var files = Files.walk(dir)) {
            assertThat(files.filter(f -> f.toString().contains("/r" + step.ordinal() + "/")).toList())
                    .as("files of the removed volume").isEmpty();
        }
        assertNoLeftovers(dir);
        assertNothingStacked(dir);
    }

    /** Starts {@code v}, writes {@code data(2)}, and stops it through a new pool whose commit dies after {@code step}. */
    private void runAndKillCommit(Path dir, Volume v, CommitStep step) throws Exception {
        Locked.run(v, v::start);
        write(v, data(2));
        Volume dying = same(pool(dir, DeviceMapperBackend.kernel(), (vid, reached) -> {
            if (reached == step) {
                throw new Killed(step);
            }
        }), v);
        assertThatThrownBy(() -> Locked.run(dying, dying::stop)).isInstanceOf(Killed.class);
    }

    /** Only committed revisions' files: no session, set-aside session, temporary or link file. */
    private static void assertNoLeftovers(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile).map(f -> f.getFileName().toString())
                    .filter(n -> !n.matches("r[0-9]+\\.(img|cow|parent)")).toList()).as("files besides committed revisions").isEmpty();
        }
    }

    @ParameterizedTest(name = "killed after {0} kernel steps")
    @ValueSource(ints = {1, 3})
    @DisplayName("a start killed half-way is started again or stopped cleanly, the committed data intact")
    void killedStart(int steps) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("start-" + steps));
        Volume v = branch(dir, "start" + steps)[1];
        Volume dying = same(pool(dir, new KillingKernel(steps)), v);
        assertThatThrownBy(() -> Locked.run(dying, dying::start)).hasMessageContaining("simulated kill");

        Volume after = same(pool(dir), v);
        Locked.run(after, after::start);
        assertThat(read(after.blockDevice().orElseThrow().path())).isEqualTo(data(1));
        Locked.run(after, after::stop);
        Path exported = after.export();
        try {
            assertThat(read(exported)).isEqualTo(data(1));
        } finally {
            after.exportEnd(exported);
        }
        assertNothingStacked(dir);
    }
}
