#!/bin/busybox sh
# /init of the test VM: mount the host's root read-only with a tmpfs overlay, run the command from
# the transfer directory in a chroot as root, store its output and exit code there, power off.
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /lower /rw /newroot
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
modprobe -a $(cat /modules)
O=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o $O,ro,cache=loose hostroot /lower
mount -t tmpfs -o size=75% rw /rw && mkdir /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work root /newroot
R=/newroot
mount -t proc proc $R/proc; mount -t sysfs sys $R/sys; mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm; mount -t devpts pts $R/dev/pts; mount -t tmpfs shm $R/dev/shm
mount -t tmpfs run $R/run; mkdir -p $R/run/lock
mount -t tmpfs tmp $R/tmp
# Modules the kernel asks for later (ext4 on mount, ...) come from the host's /lib/modules.
printf '#!/bin/sh\nexec chroot /newroot /sbin/modprobe "$@"\n' > /bin/modprobe-root
chmod +x /bin/modprobe-root; echo /bin/modprobe-root > /proc/sys/kernel/modprobe
X=$(cat /proc/cmdline); X=${X##*vm.xfer=}; X=${X%% *}
# The host directories the command needs (its working directory first): those under the VM's own
# tmpfs mounts would be hidden, so each gets the same read-only-with-overlay view as the rest.
i=0
while read -r D; do
  case $D in /tmp/*|/run/*) ;; *) continue ;; esac
  [ -d "/lower$D" ] || continue
  i=$((i + 1)); mkdir -p /rw/share$i/u /rw/share$i/w $R$D
  mount -t overlay -o lowerdir=/lower$D,upperdir=/rw/share$i/u,workdir=/rw/share$i/w share$i $R$D
done < /lower$X/shares
mkdir -p $R$X && mount -t 9p -o $O xfer $R$X
[ -s $R$X/rwdir ] && mkdir -p $R$(cat $R$X/rwdir) && mount -t 9p -o $O rwdir $R$(cat $R$X/rwdir)
# No udevd here: udev_rules=0 is required (lvcreate fails wiping new LVs otherwise); the rest keeps
# lvm from starting dmeventd/lvmpolld or asking udev.
mkdir -p $R/etc/lvm
cat > $R/etc/lvm/lvmlocal.conf <<'LVM'
activation { udev_sync = 0  udev_rules = 0  monitoring = 0 }
devices { obtain_device_list_from_udev = 0  external_device_info_source = "none" }
global { use_lvmpolld = 0 }
LVM
chroot $R /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root LANG=C.UTF-8 TERM=dumb LVM_SUPPRESS_FD_WARNINGS=1 \
  /bin/bash $X/cmd > $R$X/stdout 2> $R$X/stderr < /dev/null
echo $? > $R$X/rc
sync; umount $R$X
poweroff -f
