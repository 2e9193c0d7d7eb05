package org.qubesstorage.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.facade.Locked;
import org.qubesstorage.spi.DomainRef;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.Pool;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.spi.Volume;
import org.qubesstorage.spi.VolumeSpec;

/**
 * The callback plugin's commands, run for real by a script that logs its arguments: which run, in
 * which order, with upstream's arguments (qubes-core-admin's storage_callback.py, TC_91 and TC_92),
 * and what a failing one leaves behind.
 */
@DisplayName("The callback plugin's commands")
class CallbackHooksIT {
    private static final long SIZE = 1 << 20;

    @TempDir
    Path dir;

    private String backend(String name) {
        return "\"bdriver\": \"file-reflink\", \"bdriver_args\": {\"dir_path\": \"%s\", \"setup_check\": false, \"revisions_to_keep\": 1}"
                .formatted(dir.resolve(name));
    }

    private List<String> log() throws Exception {
        Path log = dir.resolve("callback.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    @Test
    @DisplayName("the generic command runs for every hook in upstream's order and arguments; pre_sinit only before the first use")
    void genericCommand() throws Exception {
        Path script = CallbackPlugin.loggingScript(dir, dir.resolve("callback.log"));
        Pool pool = CallbackPlugin.pool(dir, "{\"c1\": {%s, \"cmd\": \"%s\"}}".formatted(backend("p1"), script), "cbp", "c1");
        Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef("work", false), "private", SIZE));
        assertThat(log()).as("nothing runs when the pool is made or a volume object is").isEmpty();
        Locked.run(v, v::create);
        Locked.run(v, () -> {
            Path target = v.importData(SIZE);
            try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
                f.write(new byte[] {1, 2, 3});
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            v.importDataEnd(true);
        });
        Locked.run(v, v::start);
        Locked.run(v, v::stop);
        Locked.run(v, v::remove);
        String vol = "private " + v.vid() + " None";
        assertThat(log()).containsExactly(
                "cbp file-reflink pre_sinit c1",
                "cbp file-reflink pre_volume_create c1 " + vol,
                "cbp file-reflink post_volume_create c1 " + vol,
                "cbp file-reflink pre_volume_import_data c1 " + vol + " " + SIZE,
                "cbp file-reflink post_volume_import_data_end c1 " + vol + " True",
                "cbp file-reflink pre_volume_start c1 " + vol,
                "cbp file-reflink post_volume_start c1 " + vol,
                "cbp file-reflink post_volume_stop c1 " + vol,
                "cbp file-reflink post_volume_remove c1 " + vol);
    }

    @Test
    @DisplayName("a failing pre-command stops its operation before the backend is touched; \"-\" and own commands override cmd")
    void failuresAndOverrides() throws Exception {
        Path script = CallbackPlugin.loggingScript(dir, dir.resolve("callback.log"));
        Pool pool = CallbackPlugin.pool(dir, """
                {"c2": {%s, "cmd": "exit 1", "pre_setup": "%s own-pre-setup", "post_volume_create": "-",
                        "pre_volume_create": "%s own-pre-create", "pre_volume_start": "echo nope >&2; exit 7",
                        "pre_sinit": "-", "post_volume_remove": "-"}}""".formatted(backend("p2"), script, script), "cbp2", "c2");
        pool.setup();
        Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef("work", false), "private", SIZE));
        Locked.run(v, v::create);
        assertThat(log()).as("own commands get no arguments; \"-\" silences cmd").containsExactly("own-pre-setup", "own-pre-create");
        assertThatThrownBy(() -> Locked.run(v, v::start))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_FAILURE))
                .hasMessageContaining("pre_volume_start", "exit code 7", "nope");
        assertThat(v.isDirty()).as("the backend never started the volume").isFalse();
        assertThat(v.blockDevice()).isPresent();
        Volume w = pool.initVolume(VolumeSpec.origin(new DomainRef("other", false), "private", SIZE));
        assertThatThrownBy(() -> Locked.run(w, w::stop)).as("the generic cmd (exit 1) runs for post_volume_stop")
                .hasMessageContaining("post_volume_stop", "exit code 1");
        Locked.run(v, v::remove);
    }

    @Test
    @DisplayName("an array command gets its arguments as they are, through no shell; a failing pre_volume_create creates nothing")
    void noShell() throws Exception {
        Path script = CallbackPlugin.loggingScript(dir, dir.resolve("callback.log"));
        Path pwned = dir.resolve("pwned");
        Pool pool = CallbackPlugin.pool(dir, """
                {"c3": {%s, "cmd": ["%s", "a b; touch %s", "$(touch %s)"], "pre_volume_create": ["/bin/false"]}}"""
                .formatted(backend("p3"), script, pwned, pwned), "cbp3", "c3");
        pool.setup();
        // The script sees the array's own arguments first, literally, then upstream's (pool, driver, hook, ...).
        assertThat(log()).first().asString().startsWith("a b; touch " + pwned + " $(touch " + pwned + ") cbp3 file-reflink");
        Volume v = pool.initVolume(VolumeSpec.origin(new DomainRef("work", false), "private", SIZE));
        assertThatThrownBy(() -> Locked.run(v, v::create)).hasMessageContaining("pre_volume_create");
        assertThat(pwned).doesNotExist();
        assertThat(pool.listVolumes()).as("no volume was created").noneMatch(x -> x.vid().equals(v.vid()) && x.usage().orElse(0) > 0);
        assertThat(dir.resolve("p3").resolve(v.vid() + ".img")).doesNotExist();
    }
}
