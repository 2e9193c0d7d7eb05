#!/usr/bin/env bash
# The overlay clone step of LayerBench on this machine's own CPU (no emulation): a clone is file
# operations only, so it needs no device-mapper and runs outside the test VM, whose emulated CPU
# makes every system call dearer. On a fresh ext4 on a loop device (a sparse 32 GiB file under
# WORK), overlay against file-reflink (which copies on ext4), medians of RUNS. Needs root.
# Usage: bench/overlay-clone-host.sh [RUNS=5] [WORK=/var/tmp]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
WORK=$(mktemp -d "${2:-/var/tmp}/overlay-clone.XXXXXX")
if [ ! -f bench/target/classpath.txt ]; then
    mvn -q -B install -DskipTests -pl bench -am
fi
CP="$PWD/bench/target/bench-0.1.0-SNAPSHOT.jar:$(cat bench/target/classpath.txt)"
JAVA=$(ls -d /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -1)
LOOP=
cleanup() { umount "$WORK/fs" 2>/dev/null || true; [ -z "$LOOP" ] || losetup -d "$LOOP"; rm -rf "$WORK"; }
trap cleanup EXIT
truncate -s 32G "$WORK/disk.img"
LOOP=$(losetup --find --show -- "$WORK/disk.img")
mkfs.ext4 -q "$LOOP"
mkdir "$WORK/fs" && mount "$LOOP" "$WORK/fs"
"$JAVA" --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$CP" org.qubesstorage.bench.LayerBench "$WORK/fs" "$RUNS" clone
