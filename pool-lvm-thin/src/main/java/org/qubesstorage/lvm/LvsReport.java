package org.qubesstorage.lvm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.qubesstorage.spi.StorageException;

/**
 * Parses {@code lvs --reportformat json --units b --nosuffix}, leniently: every value is a string,
 * {@code ""} means absent, unknown fields are ignored, and a value lvm prints with a unit suffix
 * anyway (an older lvm) still parses.
 */
final class LvsReport {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private LvsReport() {}

    static List<LvInfo> parse(String json) {
        List<LvInfo> out = new ArrayList<>();
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (Exception e) {
            throw StorageException.backend("Cannot parse lvs output: " + e.getMessage(), e);
        }
        if (root == null) {
            return out;
        }
        for (JsonNode report : root.path("report")) {
            for (JsonNode lv : report.path("lv")) {
                out.add(new LvInfo(text(lv, "vg_name"), text(lv, "lv_name"), text(lv, "pool_lv"),
                        bytes(lv, "lv_size"), percent(lv, "data_percent"), text(lv, "lv_attr"), text(lv, "origin"),
                        bytes(lv, "lv_metadata_size"), percent(lv, "metadata_percent")));
            }
        }
        return out;
    }

    private static String text(JsonNode lv, String field) {
        JsonNode n = lv.get(field);
        return n == null || n.isNull() ? "" : n.asText().strip();
    }

    private static long bytes(JsonNode lv, String field) {
        String v = text(lv, field);
        if (v.isEmpty()) {
            return 0;
        }
        if (v.endsWith("B") || v.endsWith("b")) {
            v = v.substring(0, v.length() - 1);
        }
        try {
            return (long) Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw StorageException.backend("lvs printed a size that is not a number of bytes: " + field + "=" + v, e);
        }
    }

    private static double percent(JsonNode lv, String field) {
        String v = text(lv, field);
        if (v.isEmpty()) {
            return -1;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
