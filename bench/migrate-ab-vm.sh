#!/usr/bin/env bash
# The VM half of migrate-ab.sh: /dev/vda becomes the thin pool, /dev/vdb an ext4 file system holding
# the source file pool with images (a) and (d) of copy-bench.sh. A and B are the two trees.
set -euo pipefail
: "${ROUNDS:?}" "${A:?}" "${B:?}"
pvcreate -q /dev/vda >/dev/null; vgcreate -q qb /dev/vda >/dev/null
lvcreate -q --type thin-pool -L 20G -n tpool qb >/dev/null
mkfs.ext4 -q /dev/vdb; mkdir -p /src; mount /dev/vdb /src
D=/src/qubes; mkdir -p "$D/appvms/a" "$D/appvms/d"
echo "Preparing images ..." >&2
IA="$D/appvms/a/private.img"; truncate -s 8G "$IA"
for i in $(seq 0 63); do dd if=/dev/urandom of="$IA" bs=16M count=1 seek=$((i * 8)) conv=notrunc status=none; done
ID="$D/appvms/d/private.img"; truncate -s 4G "$ID"; mkfs.ext4 -q -F "$ID"; mkdir -p /mnt/d; mount -o loop "$ID" /mnt/d
for i in $(seq 1 24); do dd if=/dev/urandom of="/mnt/d/file$i" bs=16M count=4 status=none; done
for i in $(seq 1 16); do rm "/mnt/d/file$i"; done
umount /mnt/d; sync
{
  echo "<?xml version='1.0' encoding='utf-8'?>"
  echo "<qubes><pools><pool name=\"varlibqubes\" dir_path=\"$D\" driver=\"file\" revisions_to_keep=\"1\"/></pools>"
  echo "<properties><property name=\"default_pool\">varlibqubes</property></properties><domains>"
  q=10
  for s in a d; do
    echo "<domain id=\"domain-$q\" class=\"StandaloneVM\"><properties><property name=\"name\">$s</property><property name=\"qid\">$q</property></properties>"
    echo "<volume-config><volume name=\"private\" pool=\"varlibqubes\" vid=\"appvms/$s/private\" revisions_to_keep=\"1\" rw=\"True\" save_on_stop=\"True\" snap_on_start=\"False\" size=\"$(stat -c %s "$D/appvms/$s/private.img")\"/></volume-config></domain>"
    q=$((q + 1))
  done
  echo "</domains></qubes>"
} > "$D/qubes.xml"
now() { date +%s.%N; }
ROOT=$B; . "$B/bench/vm-program-files.sh"   # cold_data_warm_program, tool_files
# Each tree: one untimed run (it records that tree's AOT cache), then the files to warm before its runs.
for tree in A B; do
  ROOT=${!tree}
  "$ROOT/qvm-to-lvm" --qubes-xml "$D/qubes.xml" --vg qb --thin-pool tpool d --yes --fs-aware > /tmp/tool.log 2>&1 || { cat /tmp/tool.log >&2; exit 1; }
  "$ROOT/qvm-to-lvm" --qubes-xml "$D/qubes.xml" --rollback > /tmp/rb.log 2>&1 || { cat /tmp/rb.log >&2; exit 1; }
  tool_files; printf '%s\n' "${TOOL_FILES[@]}" > "/tmp/files-$tree"
done
RES=/tmp/results; : > "$RES"
tool() { # tree shape round
  local root=${!1} extra=; [ "$2" = d ] && extra=--fs-aware
  mapfile -t TOOL_FILES < "/tmp/files-$1"
  cold_data_warm_program tool; local t0 t; t0=$(now)
  "$root/qvm-to-lvm" --qubes-xml "$D/qubes.xml" --vg qb --thin-pool tpool "$2" --yes $extra > /tmp/run.log 2>&1 || { cat /tmp/run.log >&2; exit 1; }
  t=$(awk "BEGIN{printf \"%.2f\", $(now) - $t0}")
  echo "$3 $2 $1 $t $(awk -v s="$2" '$1 == s && NF >= 10 {print "copy " $9 " verify " $10}' /tmp/run.log)" >&2
  echo "$3 $2 $1 $t" >> "$RES"
  "$root/qvm-to-lvm" --qubes-xml "$D/qubes.xml" --rollback > /tmp/rb.log 2>&1 || { cat /tmp/rb.log >&2; exit 1; }
}
qemu() { # shape round
  local src="$D/appvms/$1/private.img" t0 t
  lvcreate -q -T qb/tpool -V "$(stat -c %s "$src")B" -n bench -ay -kn >/dev/null; cold_data_warm_program qemu-img; t0=$(now)
  qemu-img convert -n --target-is-zero -t none -W -O raw -f raw "$src" /dev/qb/bench
  t=$(awk "BEGIN{printf \"%.2f\", $(now) - $t0}"); lvremove -q -f qb/bench >/dev/null
  echo "$2 $1 qemu-img $t" >&2; echo "$2 $1 qemu-img $t" >> "$RES"
}
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="A B"; else order="B A"; fi   # neither tree always runs first
  for s in d a; do qemu $s $r; for tree in $order; do tool $tree $s $r; done; done
done
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo
echo "A = the other commit, B = this tree; $ROUNDS rounds; times in s (shape d runs with --fs-aware)"
for s in d a; do
  ma=$(awk -v s=$s '$2 == s && $3 == "A" {print $4}' "$RES" | median)
  mb=$(awk -v s=$s '$2 == s && $3 == "B" {print $4}' "$RES" | median)
  mq=$(awk -v s=$s '$2 == s && $3 == "qemu-img" {print $4}' "$RES" | median)
  # rounds in order (awk's "for (i in ...)" order is unspecified)
  diffs=$(awk -v s=$s '$2 == s {t[$1 " " $3] = $4; if ($1 > n) n = $1} END {for (i = 1; i <= n; i++) printf "%+.2f ", t[i " B"] - t[i " A"]}' "$RES")
  faster=$(awk -v s=$s '$2 == s {t[$1 " " $3] = $4; if ($1 > n) n = $1} END {f = 0; for (i = 1; i <= n; i++) if (t[i " B"] < t[i " A"]) f++; print f}' "$RES")
  echo "($s) medians: A $ma, B $mb, qemu-img $mq; B/qemu-img $(awk "BEGIN{printf \"%.2f\", $mb / $mq}"), A/qemu-img $(awk "BEGIN{printf \"%.2f\", $ma / $mq}"); B - A per round: $diffs(B faster in $faster of $ROUNDS)"
done
umount /src
