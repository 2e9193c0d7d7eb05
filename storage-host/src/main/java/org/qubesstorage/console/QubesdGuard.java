package org.qubesstorage.console;

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
 * silently undone, and after {@code --remove-source} qubes would point at deleted images. It also
 * starts and stops qubes' volumes itself. Every tool run that writes qubes.xml or starts or stops
 * volumes is refused while qubesd answers on its socket; a dry run only warns.
 *
 * @param socket qubesd's admin socket ({@code /var/run/qubesd.sock} on dom0)
 */
public record QubesdGuard(Path socket) {
    public static final Path DEFAULT_SOCKET = Path.of("/var/run/qubesd.sock");
    public static final String STOP_COMMAND = "sudo systemctl stop qubesd";

    public static QubesdGuard system() {
        return new QubesdGuard(DEFAULT_SOCKET);
    }

    /** Why writing qubes.xml or starting volumes now is unsafe, or empty when qubesd does not answer. */
    public Optional<String> running() {
        if (!Files.exists(socket)) {
            return Optional.empty();
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return Optional.of("qubesd is running (it answers on " + socket + "): it keeps its own copy of qubes.xml, which it"
                    + " writes back over this tool's changes, and starts and stops qubes' volumes itself; stop it first with: "
                    + STOP_COMMAND);
        } catch (IOException e) {
            return Optional.empty(); // a stale socket file: nobody listens
        }
    }
}
