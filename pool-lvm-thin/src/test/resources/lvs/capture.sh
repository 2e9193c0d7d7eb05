# Re-capture the lvs fixtures (run from the repository root, as root, with the VM packages installed):
#   test-harness/vm/run-in-vm.sh "bash $PWD/pool-lvm-thin/src/test/resources/lvs/capture.sh $PWD/pool-lvm-thin/src/test/resources/lvs" 2G
# with VM_RW_DIR=$PWD/pool-lvm-thin/src/test/resources/lvs so the VM can write the files.
set -e
out=$1
F=vg_name,pool_lv,name,lv_size,data_percent,lv_attr,origin,lv_metadata_size,metadata_percent
lvsj() { lvm lvs --quiet --quiet --noheadings -o $F --units b --nosuffix --reportformat=json -- qtest; }
pvcreate -q /dev/vda
vgcreate -q qtest /dev/vda
lvcreate -q --type thin-pool -L 1G -n tpool qtest
lvsj > "$out/empty-pool.json"
lvm lvcreate --thin --setactivationskip=n --activate=y --name=vm-work-private --virtualsize=268435456B -- qtest/tpool 2> "$out/create.stderr"
lvm lvcreate --setactivationskip=n --activate=y --snapshot --name=vm-work-private-snap -- qtest/vm-work-private
dd if=/dev/urandom of=/dev/qtest/vm-work-private-snap bs=1M count=8 status=none
lvm lvrename -- qtest/vm-work-private qtest/vm-work-private-1763800000-back
lvm lvcreate --snapshot --name=inactive-snap -- qtest/vm-work-private-snap
lvsj > "$out/volumes.json"
lvm lvcreate --thin --setactivationskip=n --activate=y --name=vm-work-private-snap --virtualsize=1048576B -- qtest/tpool 2> "$out/exists.stderr" || echo $? > "$out/exists.rc"
