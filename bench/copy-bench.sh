#!/usr/bin/env bash
# Copy benchmark: the sparse copy engine against qemu-img convert (best flags), dd conv=sparse and
# cp --sparse=always, on the issue's four image shapes, to a new sparse file and to a loop device.
# Run as root (loop devices, dropping caches, mounting ext4). Prints a Markdown table, then
#   worst ratio to qemu-img: R      (largest engine/qemu-img median over (a)-(c) x both targets)
#   fs-aware ratio to qemu-img: R2  (the file-system-aware engine on (d))
# Usage: bench/copy-bench.sh [RUNS=3] [WORK_DIR=bench/work] [IMAGES=a,b,c,d]
# (BENCH_JAVA_OPTS=-Dbench.skipDd=true leaves dd out, which takes 5-30 s per (a) run.)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
WORK=$(realpath -m "${2:-bench/work}")
IMAGES=${3:-a,b,c,d}
want() { [[ ",$IMAGES," == *",$1,"* ]]; }
GiB=$((1 << 30))
MiB=$((1 << 20))

if [ "$(id -u)" != 0 ]; then echo "copy-bench.sh needs root (loop devices, drop_caches, mount)" >&2; exit 2; fi
need=()
command -v qemu-img >/dev/null || need+=(qemu-utils)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -f bench/target/classpath.txt ]; then
    mvn -q -B install -DskipTests -pl bench -am
fi
CP="bench/target/bench-0.1.0-SNAPSHOT.jar:$(cat bench/target/classpath.txt)"
JAVA=$(ls -d /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -1)
JAVA=${JAVA:-java}

mkdir -p "$WORK"
cleanup() { umount "$WORK/mnt" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

echo "Preparing images in $WORK ..." >&2
# (a) 8 GiB sparse, 1 GiB of random data in 64 extents of 16 MiB.
if want a; then
    truncate -s $((8 * GiB)) "$WORK/a.img"
    for i in $(seq 0 63); do
        dd if=/dev/urandom of="$WORK/a.img" bs=16M count=1 seek=$((i * 8)) conv=notrunc status=none
    done
fi
# (b) 4 GiB fully allocated random data.
want b && dd if=/dev/urandom of="$WORK/b.img" bs=16M count=256 status=none
# (c) 8 GiB allocated but mostly zeros (written zeros), 1 GiB of random data in 64 extents.
if want c; then
    dd if=/dev/zero of="$WORK/c.img" bs=16M count=512 status=none
    for i in $(seq 0 63); do
        dd if=/dev/urandom of="$WORK/c.img" bs=16M count=1 seek=$((i * 8 + 3)) conv=notrunc status=none
    done
fi
# (d) 4 GiB ext4 into which 1.5 GiB of files were written and then 1 GiB of them deleted.
if want d; then
truncate -s $((4 * GiB)) "$WORK/d.img"
mkfs.ext4 -q -F "$WORK/d.img"
mkdir -p "$WORK/mnt"
mount -o loop "$WORK/d.img" "$WORK/mnt"
for i in $(seq 1 24); do
    dd if=/dev/urandom of="$WORK/mnt/file$i" bs=16M count=4 status=none
done
for i in $(seq 1 16); do rm "$WORK/mnt/file$i"; done
(cd "$WORK/mnt" && sha256sum file* > "$WORK/d.sha256")
umount "$WORK/mnt"
fi
sync

"$JAVA" --enable-native-access=ALL-UNNAMED -Dorg.slf4j.simpleLogger.defaultLogLevel=warn ${BENCH_JAVA_OPTS:-} -cp "$CP" \
    org.qubesstorage.bench.CopyBench "$WORK" "$RUNS" "$IMAGES"
