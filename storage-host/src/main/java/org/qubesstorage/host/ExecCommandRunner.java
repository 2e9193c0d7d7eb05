package org.qubesstorage.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.PumpStreamHandler;
import org.qubesstorage.spi.Command;
import org.qubesstorage.spi.CommandFailure;
import org.qubesstorage.spi.CommandResult;
import org.qubesstorage.spi.CommandRunner;
import org.qubesstorage.spi.StorageException;

/**
 * Runs commands through commons-exec: each argument added unquoted and un-interpreted (no shell),
 * stdin closed, stdout and stderr captured separately, and a watchdog that kills the child at the
 * command's timeout.
 */
public final class ExecCommandRunner implements CommandRunner {

    @Override
    public CommandResult run(Command command) {
        CommandLine line = new CommandLine(command.argv().getFirst());
        for (String arg : command.argv().subList(1, command.argv().size())) {
            line.addArgument(arg, false);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExecuteWatchdog watchdog = ExecuteWatchdog.builder().setTimeout(command.timeout()).get();
        DefaultExecutor executor = DefaultExecutor.builder().get();
        executor.setStreamHandler(new PumpStreamHandler(out, err, null));
        executor.setWatchdog(watchdog);
        executor.setExitValues(null);
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(command.env());
        int exit;
        try {
            exit = executor.execute(line, env);
        } catch (ExecuteException e) {
            exit = e.getExitValue();
        } catch (IOException e) {
            throw StorageException.commandFailed("Cannot run " + command.argv().getFirst(),
                    new CommandFailure(command.argv(), -1, String.valueOf(e.getMessage())));
        }
        String stderr = err.toString(StandardCharsets.UTF_8);
        if (watchdog.killedProcess()) {
            throw StorageException.commandFailed("Timed out after " + command.timeout().toSeconds() + " s",
                    new CommandFailure(command.argv(), -1, stderr));
        }
        return new CommandResult(command, exit, out.toString(StandardCharsets.UTF_8), stderr);
    }
}
