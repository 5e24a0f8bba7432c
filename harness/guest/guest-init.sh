#!/bin/bash
# PID 1 of the test guest.  The root file system is the host's, read-only
# over 9p; writable scratch space is tmpfs.  Runs the command that
# run-guest.sh left in the "xfer" share, records its exit status there and
# powers the guest off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
# devtmpfs lacks the links udev would make; scripts write to /dev/stdout.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
for d in /tmp /run /var/tmp /var/lib /var/log /root /mnt /home; do
	mount -t tmpfs -o mode=1777 tmpfs "$d"
done
mkdir -p /var/lib/redis /var/log/redis /mnt/xfer
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null ||
	{ mkdir -p /run/hugepages && mount -t hugetlbfs hugetlbfs /run/hugepages; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 xfer /mnt/xfer
# The project tree, at its host path: it may lie under a directory that
# is tmpfs here (a checkout in /tmp).
top=$(cat /mnt/xfer/top 2>/dev/null)
if [ -n "$top" ]; then
	mkdir -p "$top" 2>/dev/null
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro project "$top" ||
		echo "guest: cannot mount the project tree at $top"
fi
/bin/busybox ip link set lo up 2>/dev/null || ip link set lo up
hostname guest 2>/dev/null

status=127
if [ -r /mnt/xfer/cmd ]; then
	cd "$(cat /mnt/xfer/cwd)" || cd /
	echo "guest: running $(head -c 200 /mnt/xfer/cmd | tr '\n' ' ')"
	setsid bash /mnt/xfer/cmd </dev/null
	status=$?
fi
echo "guest: command exited with status $status"
dmesg >/mnt/xfer/dmesg 2>/dev/null
echo "$status" >/mnt/xfer/status
sync
echo o >/proc/sysrq-trigger
sleep 10
