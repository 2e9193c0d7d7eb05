package org.qubesstorage.migrate.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads and writes the wire records. Unknown fields are ignored when reading (a journal may carry
 * fields a later build added), anything after the one JSON value is refused (a journal line with
 * more on it is damaged); null fields are left out when writing.
 */
public final class Wire {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private Wire() {}

    /** {@code value} on one line (a journal line). */
    public static String line(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a wire record did not serialise: " + e.getOriginalMessage(), e);
        }
    }

    /** {@code value} indented, for people and scripts reading {@code --json}. */
    public static String document(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a wire record did not serialise: " + e.getOriginalMessage(), e);
        }
    }

    /** Parses {@code json} as a {@code type}. */
    public static <T> T read(String json, Class<T> type) throws Malformed {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new Malformed(e.getOriginalMessage(), e);
        }
    }

    /** Text that is not the JSON of the record asked for; the message says what the parser met. */
    public static final class Malformed extends Exception {
        Malformed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Parses {@code json} as a tree (tests and scripts that look at a few fields). */
    public static JsonNode tree(String json) throws JsonProcessingException {
        return MAPPER.readTree(json);
    }
}
