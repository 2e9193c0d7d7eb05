package org.qubesstorage.migrate;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether qubesd is running. qubesd holds its own copy of qubes.xml in memory and writes all of it
 * back on its next change (a {@code qvm-prefs}, a qube's start), so an edit made under it is
 * silently undone, and after {@code --remove-source} qubes would point at deleted images. Every
 * run that writes qubes.xml is refused while qubesd answers on its socket; a dry run only warns.
 *
 * @param socket qubesd's admin socket ({@code /var/run/qubesd.sock} on dom0)
 */
record QubesdGuard(Path socket) {
    static final Path DEFAULT_SOCKET = Path.of("/var/run/qubesd.sock");
    static final String STOP_COMMAND = "sudo systemctl stop qubesd";

    static QubesdGuard system() {
        return new QubesdGuard(DEFAULT_SOCKET);
    }

    /** Why writing qubes.xml now is unsafe, or empty when qubesd does not answer. */
    Optional<String> running() {
        if (!Files.exists(socket)) {
            return Optional.empty();
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return Optional.of("qubesd is running (it answers on " + socket + ") and would write its own copy of qubes.xml"
                    + " back over this tool's changes; stop it first with: " + STOP_COMMAND);
        } catch (IOException e) {
            return Optional.empty(); // a stale socket file: nobody listens
        }
    }

    /** Refuses (exit 2) a run that would write qubes.xml while qubesd runs. */
    void refuseWrites(String what) {
        running().ifPresent(why -> {
            throw ToolException.input("Refusing to " + what + ": " + why);
        });
    }
}
