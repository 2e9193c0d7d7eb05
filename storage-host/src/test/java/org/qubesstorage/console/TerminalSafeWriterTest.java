package org.qubesstorage.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Text for a terminal")
class TerminalSafeWriterTest {
    @Test
    @DisplayName("ESC, CR, C1 controls and bidirectional overrides are shown as \\uNNNN; newlines and tabs pass")
    void escapes() {
        StringWriter sink = new StringWriter();
        try (PrintWriter w = new PrintWriter(new TerminalSafeWriter(sink))) {
            w.print("a\u001b[2Jb\rc\u0085d\u202ee\tf\ng\u00e9");
        }
        assertThat(sink.toString()).isEqualTo("a\\u001b[2Jb\\u000dc\\u0085d\\u202ee\tf\ng\u00e9");
    }

    @Test
    @DisplayName("JSON written through it stays valid JSON with the same strings")
    void jsonStaysValid() throws Exception {
        String value = "x\u0085y\u202ez\u001b";
        String json = new ObjectMapper().writeValueAsString(java.util.Map.of("v", value));
        StringWriter sink = new StringWriter();
        try (PrintWriter w = new PrintWriter(new TerminalSafeWriter(sink))) {
            w.print(json);
        }
        assertThat(new ObjectMapper().readTree(sink.toString()).get("v").asText()).isEqualTo(value);
    }
}
