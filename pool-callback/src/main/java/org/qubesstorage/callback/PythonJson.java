package org.qubesstorage.callback;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A JSON value written as Python's {@code json.dumps(value, sort_keys=True, indent=2)} writes it,
 * which is how upstream hands a configuration to the generic command: scripts written for upstream
 * parse this text, so it must be the same text.
 */
final class PythonJson {
    private PythonJson() {}

    static String dumps(JsonNode value) {
        StringBuilder out = new StringBuilder();
        write(value, 0, out);
        return out.toString();
    }

    private static void write(JsonNode v, int depth, StringBuilder out) {
        if (v.isObject()) {
            if (v.isEmpty()) {
                out.append("{}");
                return;
            }
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
            v.properties().forEach(fields::add);
            // Python sorts str keys by code point; String.compareTo compares UTF-16 units, which
            // differs only above U+FFFF: compare code points.
            fields.sort((a, b) -> compareCodePoints(a.getKey(), b.getKey()));
            out.append("{\n");
            for (int i = 0; i < fields.size(); i++) {
                indent(depth + 1, out);
                string(fields.get(i).getKey(), out);
                out.append(": ");
                write(fields.get(i).getValue(), depth + 1, out);
                out.append(i + 1 < fields.size() ? ",\n" : "\n");
            }
            indent(depth, out);
            out.append('}');
        } else if (v.isArray()) {
            if (v.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append("[\n");
            Iterator<JsonNode> it = v.elements();
            while (it.hasNext()) {
                indent(depth + 1, out);
                write(it.next(), depth + 1, out);
                out.append(it.hasNext() ? ",\n" : "\n");
            }
            indent(depth, out);
            out.append(']');
        } else if (v.isTextual()) {
            string(v.textValue(), out);
        } else if (v.isNull()) {
            out.append("null");
        } else {
            out.append(v.asText()); // numbers and booleans as JSON writes them
        }
    }

    private static void indent(int depth, StringBuilder out) {
        out.append("  ".repeat(depth));
    }

    /** {@code ensure_ascii=True}: everything outside printable ASCII as {@code \\uXXXX} (UTF-16 units). */
    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
