package org.qubesstorage.spi;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validation of every name that may reach a path or a command line. Upstream's rules
 * ({@code qubes/storage/__init__.py} and the drivers' own checks), tightened where upstream relied on callers: no name may start with {@code -} (it would be
 * read as an option), contain {@code /} or be {@code .} / {@code ..} (it would escape a directory).
 *
 * <p>Every method returns its argument so it can be used inline, and throws
 * {@link ErrorCode#INVALID_ARGUMENT} naming what was wrong.
 */
public final class Names {
    private static final Pattern VM_NAME = Pattern.compile("\\A[a-zA-Z][a-zA-Z0-9_.-]*\\z");
    private static final Set<String> RESERVED_VM_NAMES = Set.of("Domain-0", "none", "default");
    private static final Pattern VOLUME_NAME = Pattern.compile("\\A[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}\\z");
    private static final Pattern POOL_NAME = Pattern.compile("\\A[A-Za-z0-9_.][A-Za-z0-9_.-]{0,127}\\z");
    private static final Pattern REVISION_ID = Pattern.compile("\\A[A-Za-z0-9:_.][A-Za-z0-9:_.-]{0,127}\\z");
    private static final Pattern DRIVER_NAME = Pattern.compile("\\A[a-z][a-z0-9_-]{0,63}\\z");

    private Names() {}

    /** A domain (VM) name: at most 31 characters, starts with a letter, not reserved, no "-dm" suffix. */
    public static String requireVmName(String name) {
        if (name == null || name.length() > 31 || !VM_NAME.matcher(name).matches()
                || RESERVED_VM_NAMES.contains(name) || name.endsWith("-dm")) {
            throw StorageException.invalidArgument("Invalid domain name " + quote(name)
                    + ": it must start with a letter, use only letters, digits, '_', '.' and '-',"
                    + " be at most 31 characters, not end in '-dm' and not be Domain-0, none or default");
        }
        return name;
    }

    /** A volume name inside a domain ({@code root}, {@code private}, ...). */
    public static String requireVolumeName(String name) {
        if (name == null || !VOLUME_NAME.matcher(name).matches()) {
            throw StorageException.invalidArgument("Invalid volume name " + quote(name)
                    + ": it must start with a letter or digit and use only letters, digits, '_', '.' and '-'");
        }
        return name;
    }

    /** A pool name as upstream's admin API accepts it ({@code [A-Za-z0-9-_.]}), not starting with '-'. */
    public static String requirePoolName(String name) {
        if (name == null || !POOL_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw StorageException.invalidArgument("Invalid pool name " + quote(name)
                    + ": use letters, digits, '_', '.' and '-', not starting with '-'");
        }
        return name;
    }

    /** A revision id as upstream's admin API accepts it ({@code [A-Za-z0-9:-_.]}). */
    public static String requireRevisionId(String id) {
        if (id == null || !REVISION_ID.matcher(id).matches()) {
            throw StorageException.invalidArgument("Invalid revision id " + quote(id));
        }
        return id;
    }

    /** A driver name: lower case letters, digits, '_' and '-'. */
    public static String requireDriverName(String name) {
        if (name == null || !DRIVER_NAME.matcher(name).matches()) {
            throw StorageException.invalidConfiguration("Invalid driver name " + quote(name));
        }
        return name;
    }

    static String quote(String s) {
        return s == null ? "(none)" : "'" + s + "'";
    }
}
