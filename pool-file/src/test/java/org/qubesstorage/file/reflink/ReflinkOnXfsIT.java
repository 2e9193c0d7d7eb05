package org.qubesstorage.file.reflink;

import org.junit.jupiter.api.DisplayName;

@DisplayName("file-reflink on xfs")
class ReflinkOnXfsIT extends ReflinkKitOnFileSystem {
    @Override
    protected String fileSystem() {
        return "xfs";
    }
}
