package org.qubesstorage.lvm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.qubesstorage.spi.StorageException;

/**
 * Parses {@code lvs --reportformat json --units b --nosuffix}, leniently: every value is a string,
 * {@code ""} means absent, unknown fields are ignored, and a value lvm prints with a unit suffix
 * anyway (an older lvm) still parses.
 *
 * <p>It reads the report with jackson-core's streaming parser rather than databind's tree: the
 * report is two fixed levels of arrays of flat objects, and databind's first use sets up a mapper,
 * deserializer caches and a node factory, a cost every short-lived tool run would pay once.
 */
final class LvsReport {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private LvsReport() {}

    static List<LvInfo> parse(String json) {
        List<LvInfo> out = new ArrayList<>();
        for (Map<String, String> row : rows(json)) {
            out.add(lv(row));
        }
        return out;
    }

    /**
     * The device id of each thin LV in {@code thinPool}, by {@code vg/lv} (from {@link
     * LvmCommands#thinIds}); ids are per pool, so other pools' LVs are left out.
     */
    static Map<String, Integer> thinIds(String json, String thinPool) {
        Map<String, Integer> out = new HashMap<>();
        for (Map<String, String> row : rows(json)) {
            String id = text(row, "thin_id");
            if (!id.isEmpty() && text(row, "pool_lv").equals(thinPool)) {
                try {
                    out.put(text(row, "vg_name") + "/" + text(row, "lv_name"), Integer.parseInt(id));
                } catch (NumberFormatException e) {
                    throw StorageException.backend("lvs printed a thin id that is not a number: " + id, e);
                }
            }
        }
        return out;
    }

    /** The report's LV rows, each field as text. */
    private static List<Map<String, String>> rows(String json) {
        List<Map<String, String>> out = new ArrayList<>();
        try (JsonParser p = JSON.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return out; // no output at all: nothing listed
            }
            if (first != JsonToken.START_OBJECT) {
                throw StorageException.backend("Cannot parse lvs output: it is not a JSON object", null);
            }
            // Only the report's "lv" arrays hold that key (the "log" section and others do not);
            // the parser itself rejects output that ends early or is not JSON.
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME && p.currentName().equals("lv") && p.nextToken() == JsonToken.START_ARRAY) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        out.add(flatObject(p));
                    }
                }
            }
        } catch (IOException e) {
            throw StorageException.backend("Cannot parse lvs output: " + e.getMessage(), e);
        }
        return out;
    }

    private static LvInfo lv(Map<String, String> lv) {
        return new LvInfo(text(lv, "vg_name"), text(lv, "lv_name"), text(lv, "pool_lv"), bytes(lv, "lv_size"),
                percent(lv, "data_percent"), text(lv, "lv_attr"), text(lv, "origin"), bytes(lv, "lv_metadata_size"),
                percent(lv, "metadata_percent"));
    }

    /** With the parser on an object's START_OBJECT: its scalar fields as text (nulls and nested values dropped). */
    private static Map<String, String> flatObject(JsonParser p) throws IOException {
        Map<String, String> fields = new HashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (value.isScalarValue()) {
                if (value != JsonToken.VALUE_NULL) {
                    fields.put(name, p.getValueAsString());
                }
            } else {
                p.skipChildren();
            }
        }
        return fields;
    }

    private static String text(Map<String, String> lv, String field) {
        String v = lv.get(field);
        return v == null ? "" : v.strip();
    }

    private static long bytes(Map<String, String> lv, String field) {
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

    private static double percent(Map<String, String> lv, String field) {
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
