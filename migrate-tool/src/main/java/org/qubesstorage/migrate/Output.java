package org.qubesstorage.migrate;

import java.io.PrintWriter;

/**
 * Where output goes: with {@code --json} the machine-readable plan or result is the only thing on
 * stdout and everything for people goes to stderr; otherwise people read stdout.
 */
record Output(PrintWriter stdout, PrintWriter stderr, boolean json) {
    PrintWriter human() {
        return json ? stderr : stdout;
    }
}
