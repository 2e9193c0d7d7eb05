package org.qubesstorage.xml;

import javax.xml.stream.Location;
import org.qubesstorage.spi.StorageException;

/** Errors that say which file, line and column, so a broken {@code qubes.xml} can be fixed by hand. */
final class XmlErrors {
    private XmlErrors() {}

    static StorageException at(String file, Location location, String message) {
        String where = location == null ? file
                : file + ":" + location.getLineNumber() + ":" + location.getColumnNumber();
        return StorageException.invalidConfiguration(where + ": " + message);
    }
}
