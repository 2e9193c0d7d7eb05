package org.qubesstorage.spi;

/**
 * Whole numbers as upstream reads them from {@code qubes.xml} and pool attributes: Python's
 * {@code int(str)}, which accepts surrounding white space (Python's definition, which includes
 * no-break spaces), one sign, any Unicode decimal digits and single underscores between digits
 * (PEP 515). A value upstream loads must load here too, and a value it refuses is refused.
 */
public final class PythonInt {
    private PythonInt() {}

    /**
     * Parses {@code text} as Python's {@code int(text)} would.
     *
     * @throws NumberFormatException if Python would raise {@code ValueError}, or the value does not
     *                               fit a {@code long}
     */
    public static long parseLong(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && isPythonSpace(text.charAt(start))) {
            start++;
        }
        while (end > start && isPythonSpace(text.charAt(end - 1))) {
            end--;
        }
        boolean negative = false;
        if (start < end && (text.charAt(start) == '+' || text.charAt(start) == '-')) {
            negative = text.charAt(start) == '-';
            start++;
        }
        if (start == end) {
            throw new NumberFormatException("no digits in '" + text + "'");
        }
        long value = 0;
        boolean lastWasDigit = false;
        for (int i = start; i < end; ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '_') {
                if (!lastWasDigit || i >= end) {
                    throw new NumberFormatException("misplaced underscore in '" + text + "'");
                }
                lastWasDigit = false;
                continue;
            }
            int digit = Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER ? Character.digit(cp, 10) : -1;
            if (digit < 0) {
                throw new NumberFormatException("not a whole number: '" + text + "'");
            }
            try {
                // Accumulate negatively so that Long.MIN_VALUE parses.
                value = Math.subtractExact(Math.multiplyExact(value, 10), digit);
            } catch (ArithmeticException e) {
                throw new NumberFormatException("beyond the 64-bit range: '" + text + "'");
            }
            lastWasDigit = true;
        }
        if (!negative && value == Long.MIN_VALUE) {
            throw new NumberFormatException("beyond the 64-bit range: '" + text + "'");
        }
        return negative ? value : -value;
    }

    /** {@link #parseLong} limited to the {@code int} range. */
    public static int parseInt(String text) {
        try {
            return Math.toIntExact(parseLong(text));
        } catch (ArithmeticException e) {
            throw new NumberFormatException("out of range: '" + text + "'");
        }
    }

    /** Python's {@code str.isspace()} for one UTF-16 unit (white space is all in the BMP). */
    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || (c >= 0x1c && c <= 0x1f) || c == 0x85;
    }
}
