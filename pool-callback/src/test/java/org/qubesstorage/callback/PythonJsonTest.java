package org.qubesstorage.callback;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The configuration as upstream hands it to the generic command")
class PythonJsonTest {
    @Test
    @DisplayName("is Python's json.dumps(sort_keys=True, indent=2), byte for byte")
    void matchesPython() throws Exception {
        String input = """
                {"bdriver":"file-reflink","bdriver_args":{"dir_path":"/mnt/p ool","revisions_to_keep":0,"setup_check":false},
                 "cmd":["/usr/bin/log","a b"],"pre_sinit":"x \\"q\\" \\\\\\\\ é 😀","signal_back":true,"Zeta":null,
                 "empty":{},"list":[],"f":1.5}""";
        // python3 -c 'import json; print(json.dumps(<the same dict>, sort_keys=True, indent=2))'
        String python = """
                {
                  "Zeta": null,
                  "bdriver": "file-reflink",
                  "bdriver_args": {
                    "dir_path": "/mnt/p ool",
                    "revisions_to_keep": 0,
                    "setup_check": false
                  },
                  "cmd": [
                    "/usr/bin/log",
                    "a b"
                  ],
                  "empty": {},
                  "f": 1.5,
                  "list": [],
                  "pre_sinit": "x \\"q\\" \\\\\\\\ \\u00e9 \\ud83d\\ude00",
                  "signal_back": true
                }""";
        assertThat(PythonJson.dumps(new ObjectMapper().readTree(input))).isEqualTo(python);
    }
}
