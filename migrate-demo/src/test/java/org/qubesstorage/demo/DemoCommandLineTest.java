package org.qubesstorage.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The demo's command line")
class DemoCommandLineTest {
    @Test
    @DisplayName("--help and --version exit 0; an unknown option exits 2 and says which")
    void helpVersionAndUsageErrors() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(Demo.run(new String[] {"--help"}, new PrintWriter(out, true), new PrintWriter(err, true))).isZero();
        assertThat(out.toString()).contains("Usage: qvm-to-lvm demo", "--direct", "--device", "--work");
        assertThat(Demo.run(new String[] {"--version"}, new PrintWriter(out, true), new PrintWriter(err, true))).isZero();
        assertThat(out.toString()).contains(Demo.VERSION);
        assertThat(Demo.run(new String[] {"--bogus"}, new PrintWriter(out, true), new PrintWriter(err, true))).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--bogus'");
    }
}
