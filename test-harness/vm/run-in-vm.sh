#!/bin/bash
# run-in-vm.sh - runs a command as root inside a throw-away qemu VM (Debian's kernel under TCG, real
# device-mapper) that sees the host's root file system read-only over 9p with a tmpfs overlay, so the
# host's lvm2 and JDK 25 run there unchanged. This machine's kernel has no device-mapper; this is how
# the project's LVM and device-mapper tests run for real.
#
#   usage: run-in-vm.sh 'COMMAND' [DISK_SIZES]        e.g. run-in-vm.sh 'lvs' 4G,1G
#
# Each size in DISK_SIZES (default 4G) is an empty sparse virtio disk (/dev/vda, /dev/vdb, ...).
# COMMAND's stdout/stderr are printed as they are written; its exit code is ours (124: timed out,
# 125: the VM failed, console printed). Env: VM_SMP (1), VM_MEM (2G), VM_TIMEOUT (900 s),
# VM_RW_DIR (a host directory shared read-write at the same path), VM_SHARE (colon-separated host
# directories the command reads, besides its working directory, which is always shown), VM_CACHE (where the extracted
# kernel and initramfs are kept; default ~/.cache/qubes-storage-vm).
# Needs (installed by .ci/run): qemu-system-x86 linux-image-amd64 lvm2 thin-provisioning-tools
#                               busybox-static xz-utils
set -euo pipefail
CMD=${1:?usage: run-in-vm.sh 'COMMAND' [DISK_SIZES]}
DISKS=${2:-4G}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${VM_CACHE:-$HOME/.cache/qubes-storage-vm}
mkdir -p "$CACHE"
KVER=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1) || true
[ -n "$KVER" ] || { echo "run-in-vm: no /boot/vmlinuz-* (apt-get install linux-image-amd64)" >&2; exit 125; }
KVER=${KVER#/boot/vmlinuz-}
KERNEL=$CACHE/vmlinux-$KVER
INITRD=$CACHE/initramfs-$KVER.cpio.gz
# crc32c_generic: a soft dependency of dm-persistent-data that busybox modprobe would not load.
MODULES="virtio_pci virtio_blk virtio_console 9pnet_virtio 9p overlay crc32c_generic dm-thin-pool dm-snapshot loop"

# Boot the uncompressed vmlinux through qemu's PVH entry point: the xz decompressor alone takes
# about 6 s under TCG.
extract_vmlinux() {
  local bz=/boot/vmlinuz-$KVER off
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | head -1 | cut -d: -f1)
  tail -c +$((off + 1)) "$bz" | xz -dcq > "$KERNEL.$$" 2>/dev/null || true   # trailing bytes are expected
  mv "$KERNEL.$$" "$KERNEL"
}

build_initramfs() {
  local d; d=$(mktemp -d)
  mkdir -p "$d/bin"
  cp /bin/busybox "$d/bin/busybox"
  for m in $MODULES; do modprobe -S "$KVER" --show-depends "$m"; done |
    awk '$1 == "insmod" {print $2}' | sort -u | xargs cp --parents -t "$d"
  cp --parents /lib/modules/"$KVER"/modules.dep "$d"
  echo "$MODULES" > "$d/modules"
  cp "$HERE/vm-init.sh" "$d/init"
  chmod +x "$d/init"
  (cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) > "$INITRD.$$"
  mv "$INITRD.$$" "$INITRD"; rm -rf "$d"
}

[ -s "$KERNEL" ] || extract_vmlinux
{ [ -s "$INITRD" ] && [ "$INITRD" -nt "$HERE/vm-init.sh" ] && [ "$INITRD" -nt "$0" ]; } || build_initramfs

XFER=$(mktemp -d /tmp/vmxfer.XXXXXX)          # shared with the VM at the same path
QEMU=
trap '[ -z "$QEMU" ] || kill $QEMU 2>/dev/null; rm -rf "$XFER"' EXIT
trap 'exit 143' TERM INT HUP                  # killed: the EXIT trap stops the VM too
printf 'cd %q || exit 125\n%s\n' "$PWD" "$CMD" > "$XFER/cmd"
touch "$XFER/stdout" "$XFER/stderr"
# The working directory and VM_SHARE's directories are shown in the VM even under /tmp or /run,
# which the VM mounts its own tmpfs on.
{ echo "$PWD"; [ -z "${VM_SHARE:-}" ] || tr ':' '\n' <<< "$VM_SHARE"; } > "$XFER/shares"
ARGS=()
i=0
for size in ${DISKS//,/ }; do
  truncate -s "$size" "$XFER/disk$i.img"
  ARGS+=(-drive "file=$XFER/disk$i.img,format=raw,if=virtio,cache=unsafe"); i=$((i + 1))
done
if [ -n "${VM_RW_DIR:-}" ]; then
  (cd "$VM_RW_DIR" && pwd) > "$XFER/rwdir"
  ARGS+=(-virtfs "local,path=$(cat "$XFER/rwdir"),mount_tag=rwdir,security_model=none")
fi

timeout -k 5 "${VM_TIMEOUT:-900}" qemu-system-x86_64 \
  -accel tcg -cpu max -smp "${VM_SMP:-1}" -m "${VM_MEM:-2G}" \
  -nodefaults -no-user-config -display none -no-reboot \
  -serial "file:$XFER/console.log" -monitor none \
  -kernel "$KERNEL" -initrd "$INITRD" \
  -append "console=ttyS0 quiet panic=-1 pci=noacpi cryptomgr.notests mitigations=off vm.xfer=$XFER" \
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
  -virtfs "local,path=$XFER,mount_tag=xfer,security_model=none" \
  "${ARGS[@]}" > "$XFER/qemu.log" 2>&1 &
QEMU=$!
# The command's output is shown as it is written (the VM writes through 9p without caching); each
# tail reads to the end once more after qemu has stopped.
tail --pid=$QEMU -s 0.2 -n +1 -F "$XFER/stdout" 2>/dev/null & OUT=$!
tail --pid=$QEMU -s 0.2 -n +1 -F "$XFER/stderr" >&2 2>/dev/null & ERR=$!
rc=0; wait $QEMU || rc=$?; QEMU=
wait $OUT $ERR || true
if [ ! -s "$XFER/rc" ]; then
  [ $rc = 124 ] && echo "run-in-vm: timed out after ${VM_TIMEOUT:-900}s" >&2 && exit 124
  echo "run-in-vm: the VM failed (qemu rc=$rc); qemu and console output:" >&2
  cat "$XFER/qemu.log" "$XFER/console.log" >&2
  exit 125
fi
exit "$(cat "$XFER/rc")"
