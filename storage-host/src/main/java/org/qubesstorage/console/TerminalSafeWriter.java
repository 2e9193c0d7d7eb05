package org.qubesstorage.console;

import java.io.FilterWriter;
import java.io.IOException;
import java.io.Writer;

/**
 * A writer for text a person reads on a terminal: control characters that came from qubes.xml, a
 * journal or a file name (an ESC sequence that recolours or clears the screen, a carriage return
 * that hides the line before it, Unicode's bidirectional overrides) are written as {@code \\uNNNN}
 * (which is also JSON's escape, so JSON output stays valid), so a message shows what the file
 * holds instead of doing what it says. Newlines and tabs pass.
 */
public final class TerminalSafeWriter extends FilterWriter {
    public TerminalSafeWriter(Writer out) {
        super(out);
    }

    @Override
    public void write(int c) throws IOException {
        if (safe((char) c)) {
            out.write(c);
        } else {
            out.write(escape((char) c));
        }
    }

    @Override
    public void write(char[] buf, int off, int len) throws IOException {
        int start = off;
        for (int i = off; i < off + len; i++) {
            if (!safe(buf[i])) {
                out.write(buf, start, i - start);
                out.write(escape(buf[i]));
                start = i + 1;
            }
        }
        out.write(buf, start, off + len - start);
    }

    @Override
    public void write(String s, int off, int len) throws IOException {
        write(s.toCharArray(), off, len);
    }

    private static boolean safe(char c) {
        if (c == '\n' || c == '\t') {
            return true;
        }
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
            return false;
        }
        return !(c >= 0x202a && c <= 0x202e) && !(c >= 0x2066 && c <= 0x2069) && c != 0x200e && c != 0x200f;
    }

    private static String escape(char c) {
        return String.format("\\u%04x", (int) c);
    }
}
