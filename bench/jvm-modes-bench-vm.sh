#!/usr/bin/env bash
# The VM half of jvm-modes-bench.sh: /dev/vda becomes a thin pool, /dev/vdb an ext4 file
# system holding a file pool with one random private volume of MIB MiB.
set -euo pipefail
: "${ROUNDS:?}" "${MIB:?}" "${ROOT:?}"
pvcreate -q /dev/vda >/dev/null; vgcreate -q qb /dev/vda >/dev/null
lvcreate -q --type thin-pool -L $((MIB * 2 + 1024))M -n tpool qb >/dev/null
mkfs.ext4 -q /dev/vdb; mkdir -p /src; mount /dev/vdb /src
D=/src/qubes; mkdir -p "$D/appvms/small"
dd if=/dev/urandom of="$D/appvms/small/private.img" bs=4M count=$((MIB / 4)) status=none
cat > "$D/qubes.xml" <<XML
<?xml version='1.0' encoding='utf-8'?>
<qubes>
  <pools>
    <pool name="varlibqubes" dir_path="$D" driver="file" revisions_to_keep="1"/>
  </pools>
  <properties><property name="default_pool">varlibqubes</property></properties>
  <domains>
    <domain id="domain-10" class="StandaloneVM"><properties><property name="name">small</property><property name="qid">10</property></properties>
      <volume-config><volume name="private" pool="varlibqubes" vid="appvms/small/private" revisions_to_keep="1" rw="True" save_on_stop="True" snap_on_start="False" size="$((MIB << 20))"/></volume-config>
    </domain>
  </domains>
</qubes>
XML
sync
now() { date +%s.%N; }
one() {   # NAME [VAR=VALUE ...]: one timed migration under that environment, then its rollback
  local name=$1; shift
  local t0 t1; t0=$(now)
  env "$@" "$ROOT/qvm-to-lvm" --qubes-xml "$D/qubes.xml" --vg qb --thin-pool tpool small --yes > /tmp/run.log 2>&1 \
    || { cat /tmp/run.log >&2; exit 1; }
  t1=$(now)
  # the summary row: ... TIME VERIFY MB/s VERIFIED
  local row; row=$(awk '$1 == "small" && $2 == "private" {print $9 " (verify " $10 ")"}' /tmp/run.log)
  printf '%-34s wall %6.2f s   copy %s\n' "$name" "$(awk "BEGIN{print $t1 - $t0}")" "$row"
  "$ROOT/qvm-to-lvm" --qubes-xml "$D/qubes.xml" --rollback > /tmp/rollback.log 2>&1 || { cat /tmp/rollback.log >&2; exit 1; }
}
diag='-XX:+UnlockDiagnosticVMOptions'
one "first run (records the AOT cache)" QVM_TO_LVM_AOT=1
for r in $(seq 1 "$ROUNDS"); do
  one "AOT cache" QVM_TO_LVM_AOT=1
  one "AOT cache, no training replay" QVM_TO_LVM_AOT=1 JAVA_TOOL_OPTIONS="$diag -XX:-AOTReplayTraining"
  one "no AOT cache" QVM_TO_LVM_AOT=0
  one "no AOT cache, no warm-up" QVM_TO_LVM_AOT=0 JAVA_TOOL_OPTIONS=-Dqubes.copy.warmup=false
done
umount /src
