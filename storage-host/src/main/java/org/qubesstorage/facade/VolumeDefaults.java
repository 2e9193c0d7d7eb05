package org.qubesstorage.facade;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Each domain class's default {@code volume_config} (upstream's class definitions; sizes from
 * {@code qubes/config.py}). {@code qubes.xml} attributes are merged over these, so an early R4.0 file
 * that omits {@code False} booleans still means what it meant.
 */
public final class VolumeDefaults {
    public static final long PRIVATE_SIZE = 2L << 30;
    public static final long ROOT_SIZE = 10L << 30;

    /** One volume's defaults. */
    public record Defaults(boolean rw, boolean snapOnStart, boolean saveOnStop, long size) {}

    private VolumeDefaults() {}

    public static Map<String, Defaults> forClass(String klass) {
        Map<String, Defaults> m = new LinkedHashMap<>();
        switch (klass) {
            case "TemplateVM", "StandaloneVM" -> {
                m.put("root", new Defaults(true, false, true, ROOT_SIZE));
                m.put("private", new Defaults(true, false, true, PRIVATE_SIZE));
                m.put("volatile", new Defaults(true, false, false, ROOT_SIZE));
                m.put("kernel", new Defaults(false, false, false, 0));
            }
            case "AppVM" -> {
                m.put("root", new Defaults(true, true, false, 0));
                m.put("private", new Defaults(true, false, true, PRIVATE_SIZE));
                m.put("volatile", new Defaults(true, false, false, ROOT_SIZE));
                m.put("kernel", new Defaults(false, false, false, 0));
            }
            case "DispVM" -> {
                m.put("root", new Defaults(true, true, false, 0));
                m.put("private", new Defaults(true, true, false, 0));
                m.put("volatile", new Defaults(true, false, false, ROOT_SIZE + PRIVATE_SIZE));
                m.put("kernel", new Defaults(false, false, false, 0));
            }
            default -> { }
        }
        return m;
    }

    /** Defaults for a volume the class does not define (an extra volume): a plain read-only volatile. */
    public static Defaults extra() {
        return new Defaults(false, false, false, 0);
    }
}
