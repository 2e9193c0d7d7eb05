#!/usr/bin/env bash
# The VM half of migrate-cache-protocol.sh: image (a) of the migrate benchmark, migrated by the tool
# and copied by qemu-img, alternating, under two cache protocols:
#   drop:  drop_caches, then the program's own files read back in (what migrate-bench-vm.sh does);
#   evict: only the source image's cached pages evicted (dd iflag=nocache count=0), everything
#          else left cached (the source file's metadata among it).
set -uo pipefail
: "${ROOT:?}"
echo "=== $(date) nproc $(nproc)"
pvcreate -q /dev/vda >/dev/null; vgcreate -q qb /dev/vda >/dev/null
lvcreate -q --type thin-pool -L 12G -n tpool qb >/dev/null
mkfs.ext4 -q /dev/vdb; mkdir -p /src; mount /dev/vdb /src
D=/src/qubes; mkdir -p "$D/appvms/bench-a"
A="$D/appvms/bench-a/private.img"; truncate -s 8G "$A"
for i in $(seq 0 63); do dd if=/dev/urandom of="$A" bs=16M count=1 seek=$((i * 8)) conv=notrunc status=none; done
sync
{ echo "<?xml version='1.0' encoding='utf-8'?>"; echo "<qubes><pools><pool name=\"varlibqubes\" dir_path=\"$D\" driver=\"file\" revisions_to_keep=\"1\"/></pools>"
  echo "<properties><property name=\"default_pool\">varlibqubes</property></properties><domains>"
  echo "<domain id=\"domain-10\" class=\"StandaloneVM\"><properties><property name=\"name\">bench-a</property><property name=\"qid\">10</property></properties>"
  echo "<volume-config><volume name=\"private\" pool=\"varlibqubes\" vid=\"appvms/bench-a/private\" revisions_to_keep=\"1\" rw=\"True\" save_on_stop=\"True\" snap_on_start=\"False\" size=\"$(stat -c %s $A)\"/></volume-config></domain>"
  echo "</domains></qubes>"; } > $D/qubes.xml
tool() { "$ROOT/qvm-to-lvm" --qubes-xml "$D/qubes.xml" "$@"; }
tool --vg qb --thin-pool tpool bench-a --yes > /tmp/tool.log 2>&1 || { cat /tmp/tool.log; exit 1; }
tool --rollback > /tmp/rb.log 2>&1 || { cat /tmp/rb.log; exit 1; }
. "$ROOT/bench/vm-program-files.sh"
tool_files
cat "${TOOL_FILES[@]}" $(command -v qemu-img) $(libs $(command -v qemu-img)) > /dev/null
now() { date +%s.%N; }
# protocol "drop": drop_caches, then the program's files read back; "evict": only the source's pages evicted
prep() { if [ $1 = drop ]; then cold_data_warm_program $2
  else sync; dd if="$A" iflag=nocache count=0 status=none; blockdev --flushbufs /dev/vdb; fi
  echo "   source cached: $(fincore --bytes --noheadings --output RES "$A" | tr -d ' ') free: $(awk '/MemFree/{print $2}' /proc/meminfo) kB cached: $(awk '/^Cached/{print $2}' /proc/meminfo) kB"; }
q() { local size; size=$(stat -c %s "$A"); lvcreate -q -T qb/tpool -V "${size}B" -n bench -ay -kn >/dev/null; prep $1 qemu-img; local t0; t0=$(now)
  qemu-img convert -n --target-is-zero -t none -W -O raw -f raw "$A" /dev/qb/bench; echo "qemu-img $1: $(awk "BEGIN{printf \"%.2f\", $(now) - $t0}") s"; lvremove -q -f qb/bench >/dev/null; }
t() { prep $1 tool; local t0; t0=$(now); tool --vg qb --thin-pool tpool bench-a --yes > /tmp/run.log 2>&1 || cat /tmp/run.log
  echo "tool $1: $(awk "BEGIN{printf \"%.2f\", $(now) - $t0}") s  $(awk '$1 == "bench-a" && $9 ~ /s$/ && $10 ~ /s$/ {print "copy " $9 " verify " $10}' /tmp/run.log)"; tool --rollback > /tmp/rb.log 2>&1 || cat /tmp/rb.log; }
for r in 1 2 3; do q drop; q evict; t drop; t evict; done
echo "=== end $(date)"
umount /src
