#!/usr/bin/env bash
# JVM-modes benchmark: one qvm-to-lvm migration of a random volume (256 MiB) from a file pool into
# a thin pool, in the project's test VM (TCG, one vCPU), repeated under the launcher's JVM set-ups
# (AOT cache or not, with or without its training data, the engine warm-up or not), interleaved.
# Prints the wall time of each whole run and the tool's own copy (verify) time, so the JVM's fixed
# cost and its effect on the copy can be told apart. Under TCG every CPU cycle of the guest is
# emulated, so this shows where a JVM spends CPU that a real host hides.
# Usage: bench/jvm-modes-bench.sh [ROUNDS=2] [MIB=256]
# Needs what .ci/run installs (qemu-system-x86, linux-image-amd64, lvm2, busybox-static, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
MIB=${2:-256}
if [ ! -f migrate-tool/target/launch-classpath.txt ]; then   # what the launcher runs with, in the VM too
    mvn -q -B install -DskipTests -pl migrate-tool -am
fi
export VM_SMP=${VM_SMP:-1} VM_MEM=${VM_MEM:-3G} VM_TIMEOUT=${VM_TIMEOUT:-2400}
exec test-harness/vm/run-in-vm.sh "ROUNDS=$ROUNDS MIB=$MIB ROOT='$PWD' bash '$PWD/bench/jvm-modes-bench-vm.sh'" $((MIB / 1024 * 2 + 4))G,$((MIB / 1024 + 2))G
