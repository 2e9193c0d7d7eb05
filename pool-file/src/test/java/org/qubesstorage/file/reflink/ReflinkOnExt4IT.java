package org.qubesstorage.file.reflink;

import org.junit.jupiter.api.DisplayName;

@DisplayName("file-reflink on ext4 (no reflink: the copy fallback)")
class ReflinkOnExt4IT extends ReflinkKitOnFileSystem {
    @Override
    protected String fileSystem() {
        return "ext4";
    }
}
