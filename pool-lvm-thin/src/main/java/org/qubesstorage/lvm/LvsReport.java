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
 * deserializer caches and a node factory. In the TCG test VM the time from lvs's exit to the pool
 * being set up, of which that parse was part, was 0.28-0.45 s of each qvm-to-lvm run.
 */
final class LvsReport {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private LvsReport() {}

    static List<LvInfo> parse(String json) {
        List<LvInfo> out = new ArrayList<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                if (p.currentToken() == null) {
                    return out; // no output at all: nothing listed
                }
                throw StorageException.backend("Cannot parse lvs output: it is not a JSON object", null);
            }
            forEachField(p, field -> {
                if (field.equals("report") && p.currentToken() == JsonToken.START_ARRAY) {
                    forEachElement(p, () -> forEachField(p, inner -> {
                        if (inner.equals("lv") && p.currentToken() == JsonToken.START_ARRAY) {
                            forEachElement(p, () -> out.add(lv(flatObject(p))));
                        } else {
                            p.skipChildren();
                        }
                    }));
                } else {
                    p.skipChildren();
                }
            });
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

    private interface FieldVisitor {
        /** Called with the parser on the field's value; must consume it (skipChildren for a container). */
        void visit(String field) throws IOException;
    }

    private interface ElementVisitor {
        void visit() throws IOException;
    }

    /** With the parser on START_OBJECT: visits each field, leaving the parser on END_OBJECT. */
    private static void forEachField(JsonParser p, FieldVisitor visitor) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            visitor.visit(name);
        }
    }

    /** With the parser on START_ARRAY: visits each element (the parser on its first token), up to END_ARRAY. */
    private static void forEachElement(JsonParser p, ElementVisitor visitor) throws IOException {
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() == null) {
                throw StorageException.backend("Cannot parse lvs output: it ends inside an array", null);
            }
            visitor.visit();
        }
    }

    /** An object's scalar fields as text (null and nested values dropped), the parser left on its END_OBJECT. */
    private static Map<String, String> flatObject(JsonParser p) throws IOException {
        Map<String, String> fields = new HashMap<>();
        forEachField(p, name -> {
            if (p.currentToken().isScalarValue()) {
                if (p.currentToken() != JsonToken.VALUE_NULL) {
                    fields.put(name, p.getValueAsString());
                }
            } else {
                p.skipChildren();
            }
        });
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
