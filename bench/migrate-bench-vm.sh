#!/usr/bin/env bash
# The VM half of migrate-bench.sh: /dev/vda becomes the thin pool, /dev/vdb an ext4 file system
# holding the source file pool (images made as copy-bench.sh makes them, divided by DIV).
set -euo pipefail
: "${RUNS:?}" "${DIV:?}" "${ROOT:?}"
MODE=${MODE:-one-run}   # one-run: one tool run migrates the four domains; per-shape: one run per domain
GiB=$((1 << 30)); MiB=$((1 << 20))
pvcreate -q /dev/vda >/dev/null; vgcreate -q qb /dev/vda >/dev/null
# 28 GiB: the one-run mode plans all four images at once, 14.5 GiB allocated (the tool counts
# allocated bytes, zeros too), and the tool refuses a plan whose data share of the pool would take
# its metadata usage above 80 % (a 20 GiB pool: about 83 %).
lvcreate -q --type thin-pool -L 28G -n tpool qb >/dev/null
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
lv_used() { lvs --noheadings --units b --nosuffix -o data_percent,lv_size "$1" | awk '{printf "%.0f", $1 * $2 / 100}'; }
# The reference tools, one image each, into a fresh thin LV (created and removed untimed).
new_lv() { lvcreate -q -T qb/tpool -V "$(stat -c %s "$1")B" -n bench -ay -kn >/dev/null; }   # sized for image $1
reference_copy() {   # method image: into qb/bench
  if [ "$1" = qemu-img ]; then qemu-img convert -n --target-is-zero -t none -W -O raw -f raw "$2" /dev/qb/bench
  else dd if="$2" of=/dev/qb/bench bs=4M conv=sparse,fdatasync status=none; fi
}
reference_run() {   # shape method
  local src base used t0 t1
  src="$D/appvms/bench-$1/private.img"; base=$(pool_used)
  new_lv "$src"; cold_data_warm_program "$2"; t0=$(now)
  reference_copy "$2" "$src"
  t1=$(now); used=$(( $(pool_used) - base )); lvremove -q -f qb/bench >/dev/null
  record "$1" "$2" "$(awk "BEGIN{print $t1 - $t0}")" "$used"
  echo "run $run ($1) $2: $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s, pool +$((used / MiB)) MiB" >&2
}
# One tool run through the launcher, undone with --rollback after it. Records the whole run's wall
# time as shape "all"; in one-run mode also each domain's own time in it (the tool's --json result:
# create, copy, verify, commit and save of that domain) and each new LV's data usage.
tool_run() {   # method (tool | tool-fs-aware) domain...
  local m=$1 t0 t1 base used; shift
  base=$(pool_used); cold_data_warm_program "$m"; t0=$(now)
  tool --vg qb --thin-pool tpool "$@" --yes --json $([ "$m" = tool-fs-aware ] && echo --fs-aware) > /tmp/tool.json 2> /tmp/tool.log \
    || { cat /tmp/tool.log /tmp/tool.json >&2; exit 1; }
  t1=$(now); used=$(( $(pool_used) - base ))
  grep -E '^(DOMAIN|bench-|  bench-|Elapsed)' /tmp/tool.log | sed 's/^/    /' >&2   # the tool's own split of its time
  if [ $# = 1 ]; then
    record "${1#bench-}" "$m" "$(awk "BEGIN{print $t1 - $t0}")" "$used"
  else
    record all "$m" "$(awk "BEGIN{print $t1 - $t0}")" "$used"
    python3 - /tmp/tool.json <<'PY' | while read -r s secs lv; do record "$s" "$m" "$secs" "$(lv_used "$lv")"; done
import json, sys
doc = json.load(open(sys.argv[1]))
lvs = {d["name"]: v["targetVid"] for d in doc["plan"]["domains"] for v in d["volumes"] if v["action"] == "COPY"}
for d in doc["result"]["domains"]:
    print(d["domain"][len("bench-"):], d["millis"] / 1000, lvs[d["domain"]])
PY
  fi
  echo "run $run ($*) $m: $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s, pool +$((used / MiB)) MiB" >&2
  tool --rollback > /tmp/rollback.log 2>&1 || { echo "rollback failed:"; cat /tmp/rollback.log; exit 1; } >&2
}
# And one untimed qemu-img run, so that qemu-img's first timed run is not its first in this boot:
# on 2026-12-04 that one was about 2x slower than the next ones (11.92 s, then 6.31 and 5.97 s on
# (a)), for a cause not known.
new_lv "$D/appvms/bench-d/private.img"; reference_copy qemu-img "$D/appvms/bench-d/private.img"; lvremove -q -f qb/bench >/dev/null
for run in $(seq 1 "$RUNS"); do
  for s in a b c d; do reference_run $s qemu-img; reference_run $s dd; done
  if [ "$MODE" = one-run ]; then
    tool_run tool bench-a bench-b bench-c bench-d
    tool_run tool-fs-aware bench-a bench-b bench-c bench-d
  else
    for s in a b c d; do tool_run tool "bench-$s"; done
    tool_run tool-fs-aware bench-d
  fi
done
if [ "${KEEP_LOG:-}" ]; then cat /tmp/tool.log >&2; fi
python3 - "$RES" "$MODE" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list); used = {}
for line in open(sys.argv[1]):
    s, m, t, u = line.split(); rows[(s, m)].append(float(t)); used[(s, m)] = int(u)
one_run = sys.argv[2] == "one-run"
med = lambda k: statistics.median(rows[k])
mib = lambda k: "%.0f MiB" % (used[k] / 2**20)
per_round = lambda a, b: " / ".join("%.2f" % (x / y) for x, y in zip(rows[a], rows[b]))
print("| shape | qemu-img s | dd s | qvm-to-lvm s%s | tool / qemu-img | per round | tool / dd | pool data after: qemu-img / dd / tool |"
      % (" (the domain's time in one run)" if one_run else ""))
print("|---|---|---|---|---|---|---|---|")
for s in "abcd":
    q = med((s, "qemu-img")); d = med((s, "dd"))
    for m in ("tool", "tool-fs-aware"):
        if (s, m) not in rows or (one_run and m == "tool-fs-aware" and s != "d"): continue   # (a)-(c) have no ext4: a plain copy
        t = med((s, m))
        print("| (%s)%s | %.2f | %.2f | %.2f | %.2f | %s | %.2f | %s / %s / %s |" % (s, " fs-aware" if m != "tool" else "", q, d, t, t / q,
              per_round((s, m), (s, "qemu-img")), t / d, mib((s, "qemu-img")), mib((s, "dd")), mib((s, m))))
if one_run:
    # The whole run against the reference tools' four copies, round by round; "once per run" is the
    # run's wall time less its domains' times (the JVM's start, qubes.xml, lvs, the plan, the backup).
    n = len(rows[("a", "qemu-img")])
    q = [sum(rows[(s, "qemu-img")][i] for s in "abcd") for i in range(n)]
    d = [sum(rows[(s, "dd")][i] for s in "abcd") for i in range(n)]
    for m in ("tool", "tool-fs-aware"):
        w = rows[("all", m)]
        once = [w[i] - sum(rows[(s, m)][i] for s in "abcd") for i in range(n)]
        print("| all four, one run%s | %.2f | %.2f | %.2f (once per run: %s s) | %.2f | %s | %.2f | - |" % (
              " --fs-aware" if m != "tool" else "", statistics.median(q), statistics.median(d), statistics.median(w),
              " / ".join("%.2f" % o for o in once), statistics.median(w) / statistics.median(q),
              " / ".join("%.2f" % (x / y) for x, y in zip(w, q)), statistics.median(w) / statistics.median(d)))
PY
umount /src
