#!/usr/bin/env bash
# Overlay benchmark: the overlay driver against file-reflink on ext4 (a file system without
# reflink, where file-reflink falls back to copying, which is where overlay matters) and, for start
# and stop, the file driver, in one run in the project's test VM (device-mapper), on a fresh ext4
# on the VM's first disk. Steps (LayerBench): the clone of a 10 GiB volume holding 1 GiB of data
# (time, and data bytes the clone made the pool take, by du); three branches of a 2 GiB base
# (1 GiB of data) each writing 50 MiB (what one branch holds, and the pool's total); sequential and
# random 4 KiB reads (fio, O_DIRECT) of the top of a three-level chain against its flat image on
# the same disk, read as a file and on a loop device (page cache dropped before each); start and
# stop of an AppVM on a three-level chain against the file driver's AppVM on its template, with
# the commands each runs. Medians of RUNS. The VM
# emulates its CPU (TCG): read the ratios and byte counts, not the absolute times.
# Usage: bench/overlay-bench.sh [RUNS=5]
# Needs what .ci/run installs (qemu-system-x86, linux-image-amd64, busybox-static, e2fsprogs) and fio.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
if [ ! -f bench/target/classpath.txt ]; then
    mvn -q -B install -DskipTests -pl bench -am
fi
CP="$PWD/bench/target/bench-0.1.0-SNAPSHOT.jar:$(cat bench/target/classpath.txt)"
JAVA=$(ls -d /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -1)
export VM_SMP=${VM_SMP:-2} VM_MEM=${VM_MEM:-3G} VM_TIMEOUT=${VM_TIMEOUT:-3600}
exec test-harness/vm/run-in-vm.sh "mkfs.ext4 -q /dev/vda && mkdir -p /bench && mount /dev/vda /bench && \
'$JAVA' --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
-cp '$CP' org.qubesstorage.bench.LayerBench /bench $RUNS" 32G
