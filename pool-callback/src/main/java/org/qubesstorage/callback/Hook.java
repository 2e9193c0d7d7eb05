package org.qubesstorage.callback;

import java.util.Locale;

/**
 * The events a configuration can attach a command to, with upstream's names and places: a
 * {@code pre_} command runs before the backend's operation and, failing, stops it; a {@code post_}
 * command runs after the operation succeeded.
 */
enum Hook {
    /** Before the first operation that needs the storage, once per process (e.g. unlock, mount). */
    PRE_SINIT,
    PRE_SETUP,
    POST_DESTROY,
    PRE_VOLUME_CREATE,
    POST_VOLUME_CREATE,
    POST_VOLUME_REMOVE,
    PRE_VOLUME_RESIZE,
    PRE_VOLUME_START,
    POST_VOLUME_START,
    POST_VOLUME_STOP,
    PRE_VOLUME_IMPORT,
    POST_VOLUME_IMPORT,
    PRE_VOLUME_IMPORT_DATA,
    POST_VOLUME_IMPORT_DATA_END,
    PRE_VOLUME_EXPORT,
    POST_VOLUME_EXPORT_END;

    /** The key in the configuration and the name the generic command is given. */
    String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
