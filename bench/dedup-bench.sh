#!/usr/bin/env bash
# qubes-storage dedup against duperemove on the same data, in one run (issue 26). On a fresh btrfs
# and a fresh xfs (each on a loop device over a sparse file under WORK): three "templates" that are
# full copies of one base (BASE_MIB of random data in a 2 GiB image with holes), each with 16 MiB of
# its own at 128 KiB-aligned offsets. Each round writes the copies afresh, syncs, drops the page
# cache, and times one tool (wall seconds and peak RSS from /usr/bin/time, space freed from df);
# the tools alternate, first one then the other, ROUNDS times. The disk's sequential read rate is
# cat of the three images after a cache drop, so the scan rate can be given as a fraction of it.
# duperemove runs as Debian ships it, -dr with a fresh --hashfile (128 KiB blocks; whole extents
# only), and again with --dedupe-options=partial, which also shares parts of extents, as we do.
# Needs root, btrfs-progs, xfsprogs, duperemove.
# Usage: bench/dedup-bench.sh [ROUNDS=3] [BASE_MIB=1024] [WORK=/var/tmp]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
BASE_MIB=${2:-1024}
WORK=$(mktemp -d "${3:-/var/tmp}/dedup-bench.XXXXXX")
command -v duperemove >/dev/null || { echo "needs duperemove (apt-get install duperemove)" >&2; exit 2; }
[ -f storage-cli/target/classpath.txt ] || mvn -q -B install -DskipTests -pl storage-cli -am
LOOP=
cleanup() { umount "$WORK/fs" 2>/dev/null || true; [ -z "$LOOP" ] || losetup -d "$LOOP" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# The master copies live outside the file system under test.
mkdir -p "$WORK/master"
head -c "$((BASE_MIB << 20))" /dev/urandom > "$WORK/master/base"
truncate -s 2G "$WORK/master/base"
for i in 1 2 3; do
    cp --sparse=always "$WORK/master/base" "$WORK/master/t$i"
    if [ "$i" != 1 ]; then
        dd if=/dev/urandom of="$WORK/master/t$i" bs=128K count=128 seek=$((i * BASE_MIB * 2)) conv=notrunc status=none
    fi
done

used() { sync -f "$WORK/fs"; df -B1 --output=used "$WORK/fs" | tail -1 | tr -d ' '; }
fresh() {
    rm -rf "$WORK/fs/pool"
    mkdir -p "$WORK/fs/pool/appvms"
    for i in 1 2 3; do
        mkdir -p "$WORK/fs/pool/vm-templates/t$i"
        cp --sparse=always --reflink=never "$WORK/master/t$i" "$WORK/fs/pool/vm-templates/t$i/root.img"
    done
    sync
    if [ "$FS" = btrfs ]; then btrfs filesystem sync "$WORK/fs" >/dev/null; fi
    echo 3 > /proc/sys/vm/drop_caches
}
cat > "$WORK/qubes.xml" <<XML
<qubes><pools><pool name="p" dir_path="$WORK/fs/pool" driver="file-reflink"/></pools>
<properties><property name="default_pool">p</property></properties><domains>
$(for i in 1 2 3; do echo "<domain id=\"d$i\" class=\"TemplateVM\"><properties><property name=\"name\">t$i</property></properties><volume-config><volume name=\"root\" pool=\"p\" vid=\"vm-templates/t$i/root\" size=\"2147483648\" rw=\"True\" save_on_stop=\"True\"/></volume-config></domain>"; done)
</domains></qubes>
XML

run_tool() { # tool -> "seconds rss_kib freed_bytes"
    local before after t
    before=$(used)
    case $1 in
        qubes-storage) /usr/bin/time -f "%e %M" -o "$WORK/time" ./qubes-storage dedup --qubes-xml "$WORK/qubes.xml" --pool p \
                           --work-dir "$WORK" --json > "$WORK/out.json" ;;
        duperemove) rm -f "$WORK/dr.hash"
                    /usr/bin/time -f "%e %M" -o "$WORK/time" duperemove -dr -q --hashfile="$WORK/dr.hash" "$WORK/fs/pool" > /dev/null ;;
        duperemove-partial) rm -f "$WORK/dr.hash"
                    /usr/bin/time -f "%e %M" -o "$WORK/time" duperemove -dr -q --dedupe-options=partial \
                        --hashfile="$WORK/dr.hash" "$WORK/fs/pool" > /dev/null ;;
    esac
    after=$(used)
    echo "$(cat "$WORK/time") $((before - after))"
}

echo "| file system | tool | round | wall s | peak RSS MiB | freed MiB | read rate MiB/s |"
echo "|---|---|---|---|---|---|---|"
for FS in btrfs xfs; do
    truncate -s 16G "$WORK/disk.img"
    LOOP=$(losetup --find --show -- "$WORK/disk.img")
    case $FS in btrfs) mkfs.btrfs -q -f "$LOOP" ;; xfs) mkfs.xfs -q -f -m reflink=1 "$LOOP" ;; esac
    mkdir -p "$WORK/fs" && mount "$LOOP" "$WORK/fs"
    fresh
    # Untimed: the launcher records its AOT cache on the first run that does work, as a user's does.
    ./qubes-storage dedup --qubes-xml "$WORK/qubes.xml" --pool p --dry-run --work-dir "$WORK" > /dev/null
    echo 3 > /proc/sys/vm/drop_caches
    start=$(date +%s.%N)
    for i in 1 2 3; do dd if="$WORK/fs/pool/vm-templates/t$i/root.img" of=/dev/null bs=4M count=$((BASE_MIB / 4)) status=none; done
    end=$(date +%s.%N)
    rate=$(echo "scale=0; 3 * $BASE_MIB / ($end - $start)" | bc)
    for r in $(seq 1 "$ROUNDS"); do
        case $((r % 3)) in
            1) order="qubes-storage duperemove duperemove-partial" ;;
            2) order="duperemove duperemove-partial qubes-storage" ;;
            0) order="duperemove-partial qubes-storage duperemove" ;;
        esac
        for tool in $order; do
            fresh
            read -r secs rss freed < <(run_tool "$tool")
            echo "| $FS | $tool | $r | $secs | $((rss / 1024)) | $((freed >> 20)) | $rate |"
            if [ "$tool" = qubes-storage ]; then
                echo "<!-- $FS round $r: $(tr -d '\n ' < "$WORK/out.json" | grep -o '"reclaimable":[0-9]*\|"scan_seconds":[0-9.]*\|"apply_seconds":[0-9.]*\|"relocated":[0-9]*' | tr '\n' ' ') -->"
            fi
        done
    done
    umount "$WORK/fs"; losetup -d "$LOOP"; LOOP=; rm -f "$WORK/disk.img"
done
