package org.qubesstorage.callback;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.spi.StorageException;

/**
 * One {@code conf_id}'s entry of the callback configuration file: the backend driver and its
 * parameters, the commands per {@link Hook} and the generic {@code cmd}, and {@code signal_back}.
 *
 * <p>A command is upstream's shell command line (a JSON string, run by {@code /bin/bash -c} as
 * upstream runs it) or, new here, a JSON array: a program and its arguments run directly, with no
 * shell. {@code "-"} turns a hook off even where {@code cmd} is set.
 *
 * @param confId     the entry's key
 * @param bdriver    the wrapped driver's name
 * @param bdriverArgs its pool parameters, as text (numbers as written, booleans as Python prints them)
 * @param hooks      the commands for single hooks
 * @param cmd        the command for every hook without its own
 * @param signalBack whether a command's {@code SIGNAL_setup} line sets the backend pool up again
 * @param json       the entry as upstream passes it to the generic command
 */
record CallbackConfig(String confId, String bdriver, Map<String, String> bdriverArgs, Map<Hook, HookCommand> hooks,
                      Optional<HookCommand> cmd, boolean signalBack, String json) {
    /** Upstream's location; {@code qubes.callback.config} (property) or {@code QUBES_CALLBACK_CONFIG} (environment) override it. */
    static final Path DEFAULT_FILE = Path.of("/etc/qubes_callback.json");

    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

    /** A command: a shell command line (upstream's form) or an argument vector. */
    sealed interface HookCommand {
        /** {@code bash -c} with the line, as upstream; the generic command's arguments follow as {@code "$@"}. */
        record Shell(String line) implements HookCommand {}

        /** The program and its first arguments, no shell. */
        record Argv(List<String> argv) implements HookCommand {}
    }

    static Path file() {
        String property = System.getProperty("qubes.callback.config");
        if (property != null && !property.isEmpty()) {
            return Path.of(property);
        }
        String env = System.getenv("QUBES_CALLBACK_CONFIG");
        return env != null && !env.isEmpty() ? Path.of(env) : DEFAULT_FILE;
    }

    /** Reads {@code confId}'s entry from {@code file}; every problem is an invalid configuration naming the file. */
    static CallbackConfig load(Path file, String confId) {
        JsonNode all;
        try {
            all = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw StorageException.invalidConfiguration("The callback configuration " + file + " does not exist");
        } catch (IOException e) {
            throw StorageException.invalidConfiguration("Cannot read the callback configuration " + file + ": " + e.getMessage());
        }
        if (all == null || !all.isObject()) {
            throw StorageException.invalidConfiguration("The file " + file + " is supposed to define a dict.");
        }
        JsonNode entry = all.get(confId);
        if (entry == null || !entry.isObject()) {
            throw StorageException.invalidConfiguration("The specified conf_id " + confId + " could not be found inside " + file + ".");
        }
        JsonNode bdriver = entry.get("bdriver");
        if (bdriver == null || !bdriver.isTextual() || bdriver.textValue().isEmpty()) {
            throw StorageException.invalidConfiguration("Missing bdriver for the conf_id " + confId + " inside " + file + ".");
        }
        Map<String, String> args = new LinkedHashMap<>();
        JsonNode bargs = entry.get("bdriver_args");
        if (bargs != null && !bargs.isObject()) {
            throw StorageException.invalidConfiguration("bdriver_args of " + confId + " in " + file + " is not a dict");
        }
        if (bargs != null) {
            bargs.properties().forEach(e -> args.put(e.getKey(), scalar(e.getValue(), "bdriver_args." + e.getKey(), file)));
        }
        Map<Hook, HookCommand> hooks = new EnumMap<>(Hook.class);
        for (Hook h : Hook.values()) {
            command(entry.get(h.key()), h.key(), file).ifPresent(c -> hooks.put(h, c));
        }
        JsonNode signal = entry.get("signal_back");
        return new CallbackConfig(confId, bdriver.textValue(), Map.copyOf(args), Map.copyOf(hooks),
                command(entry.get("cmd"), "cmd", file), signal != null && signal.isBoolean() && signal.booleanValue(),
                PythonJson.dumps(entry));
    }

    /** A JSON scalar as Python's {@code str()} gives it to a driver's constructor. */
    private static String scalar(JsonNode v, String what, Path file) {
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isBoolean()) {
            return v.booleanValue() ? "True" : "False";
        }
        if (v.isNumber()) {
            return v.asText();
        }
        throw StorageException.invalidConfiguration(what + " in " + file + " must be a string, number or boolean");
    }

    /** Absent or empty: none; {@code "-"}: explicitly none (kept, so {@code cmd} does not apply). */
    private static Optional<HookCommand> command(JsonNode v, String what, Path file) {
        if (v == null || v.isNull() || v.isTextual() && v.textValue().isEmpty()) {
            return Optional.empty();
        }
        if (v.isTextual()) {
            return Optional.of(new HookCommand.Shell(v.textValue()));
        }
        if (v.isArray() && !v.isEmpty()) {
            List<String> argv = new ArrayList<>();
            for (JsonNode a : v) {
                if (!a.isTextual()) {
                    throw StorageException.invalidConfiguration(what + " in " + file + ": every element of a command array must be a string");
                }
                argv.add(a.textValue());
            }
            return Optional.of(new HookCommand.Argv(List.copyOf(argv)));
        }
        throw StorageException.invalidConfiguration(what + " in " + file + " must be a command line (string) or a program and its arguments (array)");
    }

    /** Whether {@code c} turns its hook off. */
    static boolean isOff(HookCommand c) {
        return c instanceof HookCommand.Shell s && s.line().equals("-");
    }
}
