#!/usr/bin/env bash
# How much the migrate benchmark's figures depend on the page cache's state before each run: image
# (a) (8 GiB sparse, 1 GiB data) copied by qemu-img and migrated by the tool, alternating, three
# rounds, each under two protocols (see migrate-cache-protocol-vm.sh), in the project's test VM
# with two vCPUs. Prints one line per run. Needs what .ci/run installs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f migrate-tool/target/launch-classpath.txt ]; then   # what the launcher runs with, in the VM too
    mvn -q -B install -DskipTests -pl migrate-tool -am
fi
export VM_SMP=${VM_SMP:-2} VM_MEM=${VM_MEM:-3G} VM_TIMEOUT=${VM_TIMEOUT:-1800}
exec test-harness/vm/run-in-vm.sh "ROOT='$PWD' bash '$PWD/bench/migrate-cache-protocol-vm.sh' 2>&1" 16G,12G
