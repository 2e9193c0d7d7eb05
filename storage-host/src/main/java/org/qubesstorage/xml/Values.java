package org.qubesstorage.xml;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.stream.Location;
import org.qubesstorage.spi.Names;
import org.qubesstorage.spi.PythonInt;
import org.qubesstorage.spi.StorageException;

/** Checks of attribute values, failing with file, line and column. */
final class Values {
    private Values() {}

    static String requirePoolAttributes(Map<String, String> attrs, String file, Location loc) {
        String name = attrs.get("name");
        if (name == null || name.isEmpty()) {
            throw XmlErrors.at(file, loc, "a <pool> has no name");
        }
        try {
            Names.requirePoolName(name);
        } catch (StorageException e) {
            throw XmlErrors.at(file, loc, e.getMessage());
        }
        if (attrs.get("driver") == null || attrs.get("driver").isEmpty()) {
            throw XmlErrors.at(file, loc, "pool " + name + " has no driver");
        }
        return name;
    }

    static String requireVolumeAttributes(Map<String, String> attrs, String file, Location loc) {
        String name = attrs.get("name");
        if (name == null) {
            throw XmlErrors.at(file, loc, "a <volume> has no name");
        }
        try {
            Names.requireVolumeName(name);
            String pool = attrs.get("pool");
            if (pool != null && !pool.isEmpty()) {
                Names.requirePoolName(pool);
            }
        } catch (StorageException e) {
            throw XmlErrors.at(file, loc, e.getMessage());
        }
        String size = attrs.get("size");
        if (size != null) {
            long s = parseLong("size of volume " + name, size, file, loc);
            if (s < 0) {
                throw XmlErrors.at(file, loc, "size of volume " + name + " is negative: " + size);
            }
        }
        String rtk = attrs.get("revisions_to_keep");
        if (rtk != null && parseInt("revisions_to_keep of volume " + name, rtk, file, loc) < -1) {
            throw XmlErrors.at(file, loc, "revisions_to_keep of volume " + name + " must be -1 or more: " + rtk);
        }
        for (String b : List.of("rw", "save_on_stop", "snap_on_start", "ephemeral")) {
            String v = attrs.get(b);
            if (v != null && !v.equals("True") && !v.equals("False")) {
                throw XmlErrors.at(file, loc, b + " of volume " + name + " must be True or False, not '" + v + "'");
            }
        }
        String vid = attrs.get("vid");
        if (vid != null && (vid.startsWith("-") || vid.contains("..") || vid.startsWith("/") || vid.contains("\0"))) {
            throw XmlErrors.at(file, loc, "vid of volume " + name + " is not acceptable: '" + vid + "'");
        }
        return name;
    }

    static void requireDomainName(String name, String file, Location loc) {
        try {
            Names.requireVmName(name);
        } catch (StorageException e) {
            throw XmlErrors.at(file, loc, e.getMessage());
        }
    }

    static long parseLong(String what, String value, String file, Location loc) {
        try {
            return PythonInt.parseLong(value);
        } catch (NumberFormatException e) {
            throw XmlErrors.at(file, loc, what + " is not a whole number of bytes: '" + value + "'");
        }
    }

    static int parseInt(String what, String value, String file, Location loc) {
        try {
            return PythonInt.parseInt(value);
        } catch (NumberFormatException e) {
            throw XmlErrors.at(file, loc, what + " is not a whole number: '" + value + "'");
        }
    }

    /**
     * Domain names are unique, and so is each vid within its pool, except in pools of the
     * {@code linux-kernel} driver, whose vid is a kernel version that domains share.
     */
    static void requireUniqueDomains(List<DomainEntry> domains, List<Map<String, String>> pools, String file) {
        Set<String> sharedVidPools = new HashSet<>();
        Set<String> poolNames = new HashSet<>();
        for (Map<String, String> p : pools) {
            if (!poolNames.add(p.getOrDefault("name", ""))) {
                throw StorageException.invalidConfiguration(file + ": pool " + p.get("name") + " is listed twice");
            }
            if ("linux-kernel".equals(p.get("driver"))) {
                sharedVidPools.add(p.get("name"));
            }
        }
        Set<String> names = new HashSet<>();
        Set<String> vids = new HashSet<>();
        Set<Integer> qids = new HashSet<>();
        for (DomainEntry d : domains) {
            if (!names.add(d.name())) {
                throw StorageException.invalidConfiguration(file + ": domain " + d.name() + " is listed twice");
            }
            if (d.qid().isPresent() && !qids.add(d.qid().get())) {
                throw StorageException.invalidConfiguration(file + ": qid " + d.qid().get() + " is used twice (again by "
                        + d.name() + ")");
            }
            for (Map<String, String> v : d.volumes().values()) {
                String vid = v.get("vid");
                String pool = v.getOrDefault("pool", "");
                if (vid != null && !vid.isEmpty() && !sharedVidPools.contains(pool) && !vids.add(pool + ":" + vid)) {
                    throw StorageException.invalidConfiguration(file + ": volume id " + vid + " in pool " + pool
                            + " is used twice (again by " + d.name() + ":" + v.get("name") + ")");
                }
            }
        }
    }
}
