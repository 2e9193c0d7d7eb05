package org.qubesstorage.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandResult;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

@DisplayName("Which command a hook runs, with which arguments")
class HookRunnerTest {
    @TempDir
    Path dir;

    private final List<Command> ran = new ArrayList<>();

    private HookRunner runner(String json, int exit) throws Exception {
        Path file = Files.writeString(dir.resolve("cb.json"), json);
        CallbackConfig config = CallbackConfig.load(file, "c");
        return new HookRunner(c -> {
            ran.add(c);
            return new CommandResult(c, exit, "out", "why it failed");
        }, "p", config);
    }

    @Test
    @DisplayName("the generic command gets upstream's arguments after \"$@\"; a hook's own command gets none; \"-\" runs nothing")
    void arguments() throws Exception {
        HookRunner r = runner("""
                {"c": {"bdriver": "file", "bdriver_args": {"dir_path": "/d"}, "cmd": "log-it",
                       "pre_volume_start": "mount-it", "post_volume_stop": "-"}}""", 0);
        r.run(Hook.PRE_VOLUME_CREATE, List.of("private", "vm-x/private", "None"));
        r.run(Hook.PRE_VOLUME_START, List.of("private", "vm-x/private", "None"));
        assertThat(r.run(Hook.POST_VOLUME_STOP, List.of("private", "vm-x/private", "None"))).isEmpty();
        assertThat(ran).hasSize(2);
        assertThat(ran.get(0).argv()).containsExactly("/bin/bash", "-c", "log-it \"$@\"", "callback-pre_volume_create",
                "p", "file", "pre_volume_create", "c", "{\n  \"bdriver\": \"file\",\n  \"bdriver_args\": {\n    \"dir_path\": \"/d\"\n  },\n"
                        + "  \"cmd\": \"log-it\",\n  \"post_volume_stop\": \"-\",\n  \"pre_volume_start\": \"mount-it\"\n}",
                "private", "vm-x/private", "None");
        assertThat(ran.get(1).argv()).containsExactly("/bin/bash", "-c", "mount-it", "callback-pre_volume_start");
    }

    @Test
    @DisplayName("an array runs the program itself, no shell; a failure names the hook, the code and stderr")
    void argvAndFailure() throws Exception {
        HookRunner r = runner("""
                {"c": {"bdriver": "file", "cmd": ["/usr/local/bin/hook", "--verbose"]}}""", 3);
        assertThatThrownBy(() -> r.run(Hook.PRE_SETUP, List.of()))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_FAILURE))
                .hasMessageContaining("pre_setup", "exit code 3", "why it failed");
        assertThat(ran.getFirst().argv()).startsWith("/usr/local/bin/hook", "--verbose", "p", "file", "pre_setup", "c");
    }

    @Test
    @DisplayName("configuration errors as upstream words them: missing file, unknown conf_id, missing bdriver")
    void errors() throws Exception {
        assertThatThrownBy(() -> CallbackConfig.load(dir.resolve("none.json"), "c")).hasMessageContaining("does not exist");
        Path file = Files.writeString(dir.resolve("cb.json"), """
                {"c": {"description": "no driver"}, "d": {"bdriver": "file", "bdriver_args": [1]}}""");
        assertThatThrownBy(() -> CallbackConfig.load(file, "x")).hasMessageContaining("conf_id x could not be found");
        assertThatThrownBy(() -> CallbackConfig.load(file, "c")).hasMessageContaining("Missing bdriver for the conf_id c");
        assertThatThrownBy(() -> CallbackConfig.load(file, "d")).hasMessageContaining("bdriver_args of d").hasMessageContaining("not a dict");
        Path list = Files.writeString(dir.resolve("list.json"), "[1]");
        assertThatThrownBy(() -> CallbackConfig.load(list, "c")).hasMessageContaining("supposed to define a dict");
    }
}
