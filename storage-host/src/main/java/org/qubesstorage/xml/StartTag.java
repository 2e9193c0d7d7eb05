package org.qubesstorage.xml;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A start tag located in the raw text, with the exact spans of its attributes. The text was already
 * accepted by the XML parser, so this scanner only needs to find boundaries, not to validate.
 *
 * @param name        the element name
 * @param attributes  the attributes in written order
 * @param end         offset just past the closing {@code >}
 * @param selfClosing whether the tag ends with {@code />}
 * @param lastValueEnd offset just past the last attribute's closing quote (or the name's end)
 */
record StartTag(String name, List<Attr> attributes, int end, boolean selfClosing, int lastValueEnd) {

    /** One attribute: its name and the span of its raw (escaped) value, between the quotes. */
    record Attr(String name, int nameStart, int valueStart, int valueEnd, char quote) {}

    Optional<Attr> attribute(String attrName) {
        return attributes.stream().filter(a -> a.name().equals(attrName)).findFirst();
    }

    static StartTag scan(String text, int offset) {
        if (text.charAt(offset) != '<') {
            throw new IllegalStateException("no start tag at offset " + offset);
        }
        int i = offset + 1;
        int nameStart = i;
        while (!isSpace(text.charAt(i)) && text.charAt(i) != '>' && text.charAt(i) != '/') {
            i++;
        }
        String name = text.substring(nameStart, i);
        int lastValueEnd = i;
        List<Attr> attrs = new ArrayList<>();
        while (true) {
            while (isSpace(text.charAt(i))) {
                i++;
            }
            char c = text.charAt(i);
            if (c == '>') {
                return new StartTag(name, attrs, i + 1, false, lastValueEnd);
            }
            if (c == '/' && text.charAt(i + 1) == '>') {
                return new StartTag(name, attrs, i + 2, true, lastValueEnd);
            }
            int an = i;
            while (text.charAt(i) != '=' && !isSpace(text.charAt(i))) {
                i++;
            }
            String attrName = text.substring(an, i);
            while (text.charAt(i) != '=') {
                i++;
            }
            i++;
            while (isSpace(text.charAt(i))) {
                i++;
            }
            char quote = text.charAt(i);
            int vs = i + 1;
            int ve = text.indexOf(quote, vs);
            attrs.add(new Attr(attrName, an, vs, ve, quote));
            i = ve + 1;
            lastValueEnd = i;
        }
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    /** Escapes a value for an attribute quoted with {@code quote}. */
    static String escape(String value, char quote) {
        StringBuilder sb = new StringBuilder(value.length() + 8);
        for (char c : value.toCharArray()) {
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append(quote == '"' ? "&quot;" : "\"");
                case '\'' -> sb.append(quote == '\'' ? "&apos;" : "'");
                case '\n' -> sb.append("&#10;");
                case '\r' -> sb.append("&#13;");
                case '\t' -> sb.append("&#9;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
