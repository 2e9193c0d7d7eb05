#!/usr/bin/env bash
# The VM half of migrate-bench.sh: /dev/vda becomes the thin pool, /dev/vdb an ext4 file system
# holding the source file pool (images made as copy-bench.sh makes them, divided by DIV).
set -euo pipefail
: "${RUNS:?}" "${DIV:?}" "${ROOT:?}"
GiB=$((1 << 30)); MiB=$((1 << 20))
pvcreate -q /dev/vda >/dev/null; vgcreate -q qb /dev/vda >/dev/null
lvcreate -q --type thin-pool -L 20G -n tpool qb >/dev/null
mkfs.ext4 -q /dev/vdb; mkdir -p /src; mount /dev/vdb /src
D=/src/qubes; mkdir -p "$D"
img() { mkdir -p "$D/appvms/bench-$1"; echo "$D/appvms/bench-$1/private.img"; }
echo "Preparing images (sizes divided by $DIV) ..." >&2
A=$(img a); truncate -s $((8 * GiB / DIV)) "$A"
for i in $(seq 0 63); do dd if=/dev/urandom of="$A" bs=$((16 * MiB / DIV)) count=1 seek=$((i * 8)) conv=notrunc status=none; done
B=$(img b); dd if=/dev/urandom of="$B" bs=$((16 * MiB / DIV)) count=256 status=none
C=$(img c); dd if=/dev/zero of="$C" bs=$((16 * MiB / DIV)) count=512 status=none
for i in $(seq 0 63); do dd if=/dev/urandom of="$C" bs=$((16 * MiB / DIV)) count=1 seek=$((i * 8 + 3)) conv=notrunc status=none; done
DD=$(img d); truncate -s $((4 * GiB / DIV)) "$DD"; mkfs.ext4 -q -F "$DD"; mkdir -p /mnt/d; mount -o loop "$DD" /mnt/d
for i in $(seq 1 24); do dd if=/dev/urandom of="/mnt/d/file$i" bs=$((16 * MiB / DIV)) count=4 status=none; done
for i in $(seq 1 16); do rm "/mnt/d/file$i"; done
umount /mnt/d; sync
{
  echo "<?xml version='1.0' encoding='utf-8'?>"
  echo "<qubes>"
  echo "  <pools>"
  echo "    <pool name=\"varlibqubes\" dir_path=\"$D\" driver=\"file\" revisions_to_keep=\"1\"/>"
  echo "  </pools>"
  echo "  <properties><property name=\"default_pool\">varlibqubes</property></properties>"
  echo "  <domains>"
  q=10
  for s in a b c d; do
    size=$(stat -c %s "$D/appvms/bench-$s/private.img")
    echo "    <domain id=\"domain-$q\" class=\"StandaloneVM\"><properties><property name=\"name\">bench-$s</property><property name=\"qid\">$q</property></properties>"
    echo "      <volume-config><volume name=\"private\" pool=\"varlibqubes\" vid=\"appvms/bench-$s/private\" revisions_to_keep=\"1\" rw=\"True\" save_on_stop=\"True\" snap_on_start=\"False\" size=\"$size\"/></volume-config>"
    echo "    </domain>"
    q=$((q + 1))
  done
  echo "  </domains>"
  echo "</qubes>"
} > "$D/qubes.xml"

now() { date +%s.%N; }
# Every timed run starts from the same state: the page cache is emptied (so that every copy reads
# its source from the disk), then the files of the program about to run are read back in (its
# binary and libraries; for the tool also the JDK, its jars, its AOT cache and lvm), as they would
# be on a dom0 that has run them before, then a 2 s pause (why: vm-program-files.sh). Why not
# leave them to chance: in this VM they come from the host over 9p, where a cold start is mostly emulated system time that a local disk does not
# have, and whether they were still cached depended on what ran before (dd's buffered passes evict
# them). Measured in this VM (two vCPUs): `java -version` 2.8-4.8 s cold against 1.0-1.4 s warm,
# the tool's dry run 7.0-8.4 s against 3.4-4.0 s, `qemu-img --version` 0.5-1.1 s against 0.1 s.
. "$ROOT/bench/vm-program-files.sh"   # cold_data_warm_program, tool_files
# %.0f, not %d: Debian's mawk clamps %d at 2^31 - 1, which capped every figure at 2047 MiB
pool_used() { lvs --noheadings --units b --nosuffix -o data_percent,lv_size qb/tpool | awk '{printf "%.0f", $1 * $2 / 100}'; }
# The tool runs as users run it: through the launcher, with its AOT cache (built on its first real
# run) unless QVM_TO_LVM_AOT=0 is in the environment.
tool() { "$ROOT/qvm-to-lvm" --qubes-xml "$D/qubes.xml" "$@"; }
# One untimed run first, so that no timed one pays for recording the AOT cache.
tool --vg qb --thin-pool tpool bench-d --yes > /tmp/tool.log 2>&1 || { cat /tmp/tool.log >&2; exit 1; }
tool --rollback > /tmp/rollback.log 2>&1 || { echo "rollback failed:"; cat /tmp/rollback.log; exit 1; } >&2
tool_files   # after the first run: it may have recorded the AOT cache
echo "Tool files warmed before each of its runs: ${#TOOL_FILES[@]}, $(cat "${TOOL_FILES[@]}" | wc -c) bytes" >&2
RES=/tmp/results; : > "$RES"
record() { echo "$1 $2 $3 $4" >> "$RES"; }   # shape method seconds pool-bytes
for run in $(seq 1 "$RUNS"); do
  for s in a b c d; do
    src="$D/appvms/bench-$s/private.img"; size=$(stat -c %s "$src")
    base=$(pool_used)
    for m in qemu-img dd tool $([ $s = d ] && echo tool-fs-aware); do
      case $m in
        qemu-img|dd)
          lvcreate -q -T qb/tpool -V "${size}B" -n bench -ay -kn >/dev/null; cold_data_warm_program $m; t0=$(now)
          if [ $m = qemu-img ]; then qemu-img convert -n --target-is-zero -t none -W -O raw -f raw "$src" /dev/qb/bench
          else dd if="$src" of=/dev/qb/bench bs=4M conv=sparse,fdatasync status=none; fi
          t1=$(now); used=$(( $(pool_used) - base )); lvremove -q -f qb/bench >/dev/null ;;
        tool|tool-fs-aware)
          cold_data_warm_program $m; t0=$(now)
          tool --vg qb --thin-pool tpool bench-$s --yes $([ $m = tool-fs-aware ] && echo --fs-aware) > /tmp/tool.log 2>&1 \
            || { cat /tmp/tool.log >&2; exit 1; }
          grep -E '^(DOMAIN|bench-)' /tmp/tool.log | sed 's/^/    /' >&2   # the tool's own copy / verify split
          t1=$(now); used=$(( $(pool_used) - base ))
          tool --rollback > /tmp/rollback.log 2>&1 || { echo "rollback failed:"; cat /tmp/rollback.log; exit 1; } >&2 ;;
      esac
      record "$s" "$m" "$(awk "BEGIN{print $t1 - $t0}")" "$used"
      echo "run $run ($s) $m: $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s, pool +$((used / MiB)) MiB" >&2
    done
  done
done
if [ "${KEEP_LOG:-}" ]; then cat /tmp/tool.log >&2; fi
python3 - "$RES" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list); used = {}
for line in open(sys.argv[1]):
    s, m, t, u = line.split(); rows[(s, m)].append(float(t)); used[(s, m)] = int(u)
print("| shape | qemu-img s | dd s | qvm-to-lvm s | tool / qemu-img | tool / dd | pool data after: qemu-img / dd / tool |")
print("|---|---|---|---|---|---|---|")
for s in "abcd":
    q = statistics.median(rows[(s, "qemu-img")]); d = statistics.median(rows[(s, "dd")])
    for m in ("tool", "tool-fs-aware"):
        if (s, m) not in rows: continue
        t = statistics.median(rows[(s, m)])
        mib = lambda k: "%.0f MiB" % (used[k] / 2**20)
        print("| (%s)%s | %.2f | %.2f | %.2f | %.2f | %.2f | %s / %s / %s |" % (s, " fs-aware" if m != "tool" else "", q, d, t, t / q, t / d,
              mib((s, "qemu-img")), mib((s, "dd")), mib((s, m))))
PY
umount /src
