package org.qubesstorage.file.reflink;

import org.junit.jupiter.api.DisplayName;

@DisplayName("file-reflink on btrfs")
class ReflinkOnBtrfsIT extends ReflinkKitOnFileSystem {
    @Override
    protected String fileSystem() {
        return "btrfs";
    }
}
