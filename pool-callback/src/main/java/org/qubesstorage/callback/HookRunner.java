package org.qubesstorage.callback;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandResult;
import org.qubesstorage.spi.CommandRunner;
import org.qubesstorage.spi.StorageException;

/**
 * Runs the command a configuration attaches to a hook, as upstream's {@code _callback} does: a
 * hook's own command gets no arguments; the generic {@code cmd} gets {@code <pool> <bdriver>
 * <hook> <conf_id> <configuration JSON>} and, for a volume, {@code <volume name> <vid> <source vid
 * or None>} and the hook's extra arguments. Arguments never pass through a shell's parser: a shell
 * command line receives them as {@code "$@"}, which is what upstream's quoting amounts to.
 */
final class HookRunner {
    /** A hook may unlock a disk or mount a file system: longer than a plain command's default. */
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private final CommandRunner commands;
    private final String pool;
    private final CallbackConfig config;

    HookRunner(CommandRunner commands, String pool, CallbackConfig config) {
        this.commands = commands;
        this.pool = pool;
        this.config = config;
    }

    /** The command {@code hook} runs, if any (a hook set to {@code "-"} runs none, whatever {@code cmd} says). */
    Optional<CallbackConfig.HookCommand> commandFor(Hook hook) {
        CallbackConfig.HookCommand own = config.hooks().get(hook);
        CallbackConfig.HookCommand chosen = own != null ? own : config.cmd().orElse(null);
        return chosen == null || CallbackConfig.isOff(chosen) ? Optional.empty() : Optional.of(chosen);
    }

    /**
     * Runs {@code hook}'s command, if any, and returns its standard output. A command that fails
     * (non-zero exit, or one that cannot start) throws {@code BACKEND_FAILURE} with its output.
     */
    Optional<String> run(Hook hook, List<String> volumeArgs) {
        Optional<CallbackConfig.HookCommand> command = commandFor(hook);
        if (command.isEmpty()) {
            return Optional.empty();
        }
        List<String> args = new ArrayList<>();
        if (!config.hooks().containsKey(hook)) {
            args.addAll(List.of(pool, config.bdriver(), hook.key(), config.confId(), config.json()));
            args.addAll(volumeArgs);
        }
        List<String> argv = new ArrayList<>();
        switch (command.get()) {
            case CallbackConfig.HookCommand.Shell s -> {
                argv.addAll(List.of("/bin/bash", "-c", args.isEmpty() ? s.line() : s.line() + " \"$@\"", "callback-" + hook.key()));
            }
            case CallbackConfig.HookCommand.Argv a -> argv.addAll(a.argv());
        }
        argv.addAll(args);
        CommandResult r = commands.run(new Command(argv, Map.of(), TIMEOUT));
        if (!r.succeeded()) {
            throw StorageException.backend("Callback " + hook.key() + " of pool " + pool + " (conf_id " + config.confId()
                    + ") failed with exit code " + r.exitCode() + ": " + r.stderr().strip(), null);
        }
        return Optional.of(r.stdout());
    }
}
