package org.qubesstorage.tck.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TestVmFailureSummaryTest {
    @Test
    void startsAtTheLauncherFailureSection() {
        String out = "hostile corpus: 280 cases\n  case 1\n╷\n└─ ✘ killTest()\nFailures (1):\n  JUnit Jupiter:InVmMigration:killTest()\n"
                + "    => org.opentest4j.AssertionFailedError: expected 0\n[ 1 tests failed ]\n";
        assertThat(TestVm.failureSummary(out))
                .startsWith("Failures (1):")
                .contains("killTest()", "expected 0", "[ 1 tests failed ]")
                .doesNotContain("hostile corpus");
    }

    @Test
    void fallsBackToTheLastFortyLinesWhenTheLauncherPrintedNoSummary() {
        String out = IntStream.rangeClosed(1, 100).mapToObj(i -> "line " + i).collect(Collectors.joining("\n"))
                + "\nrun-in-vm: timed out after 900s\n";
        String summary = TestVm.failureSummary(out);
        assertThat(summary.lines()).hasSize(40).first().isEqualTo("line 62");
        assertThat(summary).endsWith("run-in-vm: timed out after 900s");
    }
}
