package org.qubesstorage.lvm;

import java.util.List;
import java.util.regex.Pattern;
import org.qubesstorage.spi.StorageException;

/**
 * Upstream's LV naming ({@code qubes/storage/lvm.py}), so a volume group managed by upstream's Python driver is
 * used in place: {@code <vg>/vm-<vm>-<volume>}, with {@code -snap}, {@code -import} and
 * {@code -<unix ts>-back} beside it; and lvm's own name rules, checked before any name reaches a
 * command line.
 */
final class LvmNames {
    static final String SNAP = "-snap";
    static final String IMPORT = "-import";
    static final String BACK = "-back";
    private static final Pattern LVM_NAME = Pattern.compile("\\A[a-zA-Z0-9+_.][a-zA-Z0-9+_.-]{0,126}\\z");
    /** Substrings lvm reserves for its internal LVs. */
    private static final List<String> RESERVED = List.of("_cdata", "_cmeta", "_corig", "_mlog", "_mimage",
            "_pmspare", "_rimage", "_rmeta", "_tdata", "_tmeta", "_vorigin", "_vdata");
    private static final Pattern REVISION_TS = Pattern.compile("\\A[0-9]+\\z");

    private LvmNames() {}

    /** A VG or LV name as lvm accepts it; never starting with '-', never "." or "..". */
    static String check(String name) {
        if (name == null || !LVM_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")
                || name.startsWith("snapshot") || name.startsWith("pvmove")
                || RESERVED.stream().anyMatch(name::contains)) {
            throw StorageException.invalidArgument("Invalid LVM name " + (name == null ? "(none)" : "'" + name + "'"));
        }
        return name;
    }

    /** {@code vg/lv}, both parts checked. */
    static String checkFull(String full) {
        int slash = full.indexOf('/');
        if (slash <= 0 || full.indexOf('/', slash + 1) >= 0) {
            throw StorageException.invalidArgument("Not a vg/lv name: " + full);
        }
        check(full.substring(0, slash));
        check(full.substring(slash + 1));
        return full;
    }

    static String vg(String full) {
        return full.substring(0, full.indexOf('/'));
    }

    static String lv(String full) {
        return full.substring(full.indexOf('/') + 1);
    }

    /** The vid of volume {@code volume} of domain {@code vm}. */
    static String vid(String vg, String vm, String volume) {
        return checkFull(vg + "/vm-" + vm + "-" + volume);
    }

    static String revision(String vid, long unixSeconds) {
        return vid + "-" + unixSeconds + BACK;
    }

    /**
     * The revision id of {@code full} if it is a revision of {@code vid}: {@code <vid>-<digits>-back}.
     * The digits-only middle is upstream's #4680 guard: domain {@code x} must not take the revisions
     * of domain {@code x-root}'s volumes for its own.
     */
    static java.util.Optional<String> revisionId(String vid, String full) {
        String prefix = vid + "-";
        if (!full.startsWith(prefix) || !full.endsWith(BACK)) {
            return java.util.Optional.empty();
        }
        String middle = full.substring(prefix.length(), full.length() - BACK.length());
        return REVISION_TS.matcher(middle).matches() ? java.util.Optional.of(middle + BACK) : java.util.Optional.empty();
    }

    /** {@code /dev/mapper/} name of {@code vg/lv}: '-' doubled, then '/' becomes '-'. */
    static String mapperName(String full) {
        return full.replace("-", "--").replace("/", "-");
    }
}
