#!/usr/bin/env bash
# Device-cycle benchmark: one volume's loop devices and dm-snapshot made and taken down through
# losetup/dmsetup processes (the commands DeviceMapper ran before it used ioctls) against
# DeviceMapper on the kernel's ioctls, interleaved, in the project's test VM (device-mapper), with
# the JVM's default process launcher (as the tools run). Medians of ROUNDS. The VM emulates its
# CPU (TCG): read the ratio, not the absolute times.
# Usage: bench/device-cycle-bench.sh [ROUNDS=15]
# Needs what .ci/run installs (qemu-system-x86, linux-image-amd64, busybox-static).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-15}
if [ ! -f bench/target/classpath.txt ]; then
    mvn -q -B install -DskipTests -pl bench -am
fi
CP="$PWD/bench/target/bench-0.1.0-SNAPSHOT.jar:$(cat bench/target/classpath.txt)"
JAVA=$(ls -d /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -1)
export VM_SMP=${VM_SMP:-2}
exec test-harness/vm/run-in-vm.sh "mkdir -p /tmp/cycle && '$JAVA' --enable-native-access=ALL-UNNAMED \
-Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp '$CP' org.qubesstorage.bench.DeviceCycleBench /tmp/cycle $ROUNDS"
