package org.qubesstorage.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Each case is what CPython 3's {@code int(str)} answers for the same text. */
class PythonIntTest {
    @ParameterizedTest(name = "int(''{0}'') = {1}")
    @CsvSource(delimiter = '|', value = {
        "16777216| 16777216",
        "' 16777216'| 16777216",
        "'16777216\n'| 16777216",
        "'\t-1 '| -1",
        "+5| 5",
        "1_000| 1000",
        "'\u00a07\u00a0'| 7",
        "\u0663\u0664| 34",
        "-9223372036854775808| -9223372036854775808",
    })
    void acceptsWhatPythonAccepts(String text, long value) {
        assertThat(PythonInt.parseLong(text)).isEqualTo(value);
    }

    @ParameterizedTest(name = "int(''{0}'') raises")
    @ValueSource(strings = {"", " ", "12abc", "1e9", "0x100", "1__0", "_1", "1_", "--1", "+", "1.0"})
    void refusesWhatPythonRefuses(String text) {
        assertThatThrownBy(() -> PythonInt.parseLong(text)).isInstanceOf(NumberFormatException.class);
    }

    /** Python's int has no bound; no size or qid is this large, so they are refused with the reason. */
    @ParameterizedTest
    @ValueSource(strings = {"9223372036854775808", "99999999999999999999999"})
    void refusesBeyondSixtyFourBits(String text) {
        assertThatThrownBy(() -> PythonInt.parseLong(text)).isInstanceOf(NumberFormatException.class)
                .hasMessageContaining("64-bit");
    }
}
