package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.ErrorType;
import org.qubesstorage.spi.StorageException;

@DisplayName("Exit codes")
class ExitCodesTest {
    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    @DisplayName("a driver's failure exits as its error type says: bad input 2, no space 3, backend 4")
    void byErrorType(ErrorCode code) {
        int expected = switch (code.type()) {
            case USER -> 2;
            case INSUFFICIENT_RESOURCES -> 3;
            case BACKEND -> 4;
        };
        assertThat(ExitCodes.of(new StorageException(code, "x"))).isEqualTo(expected);
        assertThat(ToolException.of("Domain work: ", new StorageException(code, "failed")))
                .hasMessage("Domain work: failed").extracting(ToolException::exitCode).isEqualTo(expected);
    }

    @Test
    @DisplayName("a backend failure is not bad input")
    void backendIsNotInput() {
        assertThat(ExitCodes.of(StorageException.backend("lvcreate failed", null))).isEqualTo(ExitCodes.BACKEND)
                .isNotEqualTo(ExitCodes.INPUT);
        assertThat(ErrorCode.BACKEND_FAILURE.type()).isEqualTo(ErrorType.BACKEND);
    }

    @Test
    @DisplayName("--help states the mapping")
    void helpStatesIt() {
        StringWriter out = new StringWriter();
        QvmToLvm.run(new String[] {"--help"}, new PrintWriter(out), new PrintWriter(new StringWriter()));
        assertThat(out.toString().replaceAll("\\s+", " ")).contains("2 bad usage or input", "3 refused", "4 backend failure");
    }
}
