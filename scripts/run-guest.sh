#!/bin/bash
# Boot the built kernel in QEMU with the host's root file system (read-only,
# over 9p), run a command in the guest as root, stream the console, and exit
# with the command's exit status.
#
# usage: run-guest.sh [-m MEM_MB] [-c CPUS] [-t TIMEOUT_S] [-k BZIMAGE]
#                     [-o OUTDIR] [-a "EXTRA KERNEL ARGS"] [-q] -- COMMAND...
#
# The command runs with bash in the guest, in the current directory.  Files
# it writes to $GUEST_OUT (the host's OUTDIR) survive the guest.
#
# GUEST_ICOUNT=N runs the guest with an instruction-counting clock (below).
#
# GUEST_ARCH=arm64 boots the arm64 guest instead: qemu-system-aarch64 -M
# virt, the kernel of scripts/build-arm64-kernel.sh, and the arm64 Debian
# root of scripts/arm64-root.sh (build/arm64-root) instead of the host's;
# GUEST_CPU names its CPU model (default max,pauth-impdef=on; neoverse-n1
# is one without FEAT_TLBIRANGE).
#
# GUEST_ROOT=DIR boots a root file system of its own (a Debian root of
# scripts/guest-root.sh) instead of the host's (or arm64's).  The guest's
# init script is copied into it at each boot.
#
# GUEST_INIT=systemd boots GUEST_ROOT's systemd as PID 1
# (init=/lib/systemd/systemd; GUEST_ROOT defaults to build/x86-root, made by
# scripts/guest-root.sh x86_64), with the root read-write, instead of
# guest-init.sh: the unit harness/guest/systemd/async-fork-guest.service,
# installed into the root at each boot and started by systemd.wants= on the
# kernel command line, runs the command once the boot has finished, the
# way guest-init.sh does, and powers the guest off with systemctl.
#
# The run fails (exit 1, console tail shown) when the guest panics, oopses,
# prints a kernel WARNING/BUG/lockdep/KASAN report, does not finish in
# TIMEOUT_S seconds, or has not started the command GUEST_BOOT_TIMEOUT
# seconds (default 1200) after qemu started.  GUEST_EXPECTED_REPORTS, an
# extended regular expression, names report lines that a run provokes on
# purpose (the sync-sites check of make check-debug): those alone do not
# fail it.
set -eu
. "$(dirname "$0")/lib.sh"

mem=${GUEST_MEM:-4096}
cpus=${GUEST_CPUS:-2}
timeout_s=${GUEST_TIMEOUT:-1800}
boot_timeout=${GUEST_BOOT_TIMEOUT:-1200}
case $boot_timeout in '' | *[!0-9]*) die "GUEST_BOOT_TIMEOUT must be a number of seconds, not '$boot_timeout'" ;; esac
garch=${GUEST_ARCH:-x86_64}
case $garch in
x86_64) kernel=$KOUT/arch/x86/boot/bzImage ;;
arm64) kernel=$BUILD/linux-arm64/arch/arm64/boot/Image ;;
*) die "GUEST_ARCH must be x86_64 or arm64, not '$garch'" ;;
esac
out=""
extra=""
quiet=false
while getopts "m:c:t:k:o:a:q" opt; do
	case $opt in
	m) mem=$OPTARG ;;
	c) cpus=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	k) kernel=$OPTARG ;;
	o) out=$OPTARG ;;
	a) extra=$OPTARG ;;
	q) quiet=true ;;
	*) die "usage: run-guest.sh [-m MB] [-c CPUS] [-t SECS] [-k BZIMAGE] [-o DIR] [-a ARGS] [-q] -- CMD" ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" != "--" ] || shift
[ $# -gt 0 ] || die "no command given"

qemu="qemu-system-x86_64"
rootdir=/
init=$TOP/harness/guest/guest-init.sh
rootmode=ro
append_init=""
if [ "$garch" = arm64 ]; then
	qemu="qemu-system-aarch64"
	rootdir=$BUILD/arm64-root
fi
[ "${GUEST_INIT:-}" != systemd ] || [ "$garch" != x86_64 ] || rootdir=$BUILD/x86-root
rootdir=${GUEST_ROOT:-$rootdir}
[ "$rootdir" = / ] || [ -x "$rootdir/bin/bash" ] ||
	die "no guest root in $rootdir (run: scripts/guest-root.sh ${garch})"
rootdir=$(cd "$rootdir" && pwd)

# install_new SRC DEST MODE: copy SRC into the guest's root unless the
# same file is there.
install_new() {
	cmp -s "$1" "$2" || install -D -m "$3" "$1" "$2"
}

case ${GUEST_INIT:-} in
"") ;;
systemd)
	[ "$rootdir" != / ] || die "GUEST_INIT=systemd needs GUEST_ROOT, a root of the guest's own"
	[ -x "$rootdir/lib/systemd/systemd" ] ||
		die "no systemd in $rootdir (run: scripts/guest-root.sh x86_64)"
	init=/lib/systemd/systemd
	rootmode=rw
	install_new "$TOP/harness/guest/systemd/async-fork-guest.service" \
		"$rootdir/etc/systemd/system/async-fork-guest.service" 644
	install_new "$TOP/harness/guest/systemd/async-fork-guest-run" \
		"$rootdir/usr/local/sbin/async-fork-guest-run" 755
	install_new "$TOP/harness/guest/systemd/journald.conf" \
		"$rootdir/etc/systemd/journald.conf.d/async-fork-guest.conf" 644
	append_init="systemd.wants=async-fork-guest.service"
	;;
*) die "GUEST_INIT must be empty or systemd, not '$GUEST_INIT'" ;;
esac
if [ "$rootdir" != / ] && [ -z "${GUEST_INIT:-}" ]; then
	# The root is the guest's own, not the host's: it gets the current
	# init script at each boot.
	init=/sbin/async-fork-guest-init
	install_new "$TOP/harness/guest/guest-init.sh" "$rootdir$init" 755
fi
need_tool "$qemu" timeout
[ -f "$kernel" ] || die "kernel image $kernel not found (run: make kernel, or for arm64 scripts/build-arm64-kernel.sh)"

[ -n "$out" ] || out=$BUILD/guest-out
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/status" "$out/dmesg" "$out/cmd" "$out/cwd" "$out/top" "$out/accel" \
	"$out/boot-timeout"
log=$out/console.log
: >"$log"
printf '%s\n' "export GUEST_OUT=/mnt/xfer" "$*" >"$out/cmd"
pwd >"$out/cwd"
echo "$TOP" >"$out/top"

accel="-accel tcg,thread=multi"
if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
	[ -w /dev/kvm ] && accel="-accel kvm -cpu host"
fi
# GUEST_ICOUNT=N: the guest's clock counts instructions (2^N ns each)
# instead of following the host's, so timings in the guest do not depend
# on how busy the host is.  TCG only, one thread for all vCPUs.
if [ -n "${GUEST_ICOUNT:-}" ]; then
	case $GUEST_ICOUNT in
	[0-9] | 10) ;;
	*) die "GUEST_ICOUNT must be a number from 0 to 10" ;;
	esac
	accel="-accel tcg,thread=single -icount shift=$GUEST_ICOUNT,align=off,sleep=off"
fi
# The accelerator, for what the guest's times are worth (make bench
# records it with its results).
printf '%s\n' "${accel#-accel }" >"$out/accel"
cpu_model="-cpu max"
console="console=ttyS0,115200"
platform="tsc=reliable"
case $accel in *kvm*) cpu_model="" ;; esac
if [ "$garch" = arm64 ]; then
	# The virt board with GICv3; -cpu max has what the series cares
	# about (FEAT_HAFDBS, FEAT_HPDS, FEAT_TLBIRANGE).  Pointer
	# authentication with QEMU's own cheap algorithm: the architected
	# one costs TCG dearly on every function return.
	accel="-M virt,gic-version=3 $accel"
	cpu_model="-cpu ${GUEST_CPU:-max,pauth-impdef=on}"
	console="console=ttyAMA0"
	platform=""
fi

rootro=on
[ "$rootmode" = ro ] || rootro=off
append="$console root=hostroot rootfstype=9p"
append="$append rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose $rootmode"
append="$append init=$init $append_init panic=-1 oops=panic printk.time=1"
append="$append loglevel=5 $platform no_hash_pointers $extra"

# shellcheck disable=SC2086
set -- "$qemu" $accel $cpu_model -smp "$cpus" -m "$mem" \
	-kernel "$kernel" -append "$append" \
	-display none -monitor none -serial "file:$log" -no-reboot \
	-nodefaults -device virtio-rng-pci \
	-virtfs "local,path=$rootdir,mount_tag=hostroot,security_model=none,readonly=$rootro,multidevs=remap" \
	-virtfs "local,path=$out,mount_tag=xfer,security_model=none,multidevs=remap" \
	-virtfs "local,path=$TOP,mount_tag=project,security_model=none,readonly=on,multidevs=remap"

# watch_boot PID: stop the guest (PID, its timeout process) if its command
# has not started within boot_timeout seconds.  A TCG guest starved of
# CPU for long enough can hang while it boots (ACPI's _PRT method times
# out, the virtio devices get no interrupt routing, the root file system
# never comes), and would otherwise be waited for the whole TIMEOUT_S.
watch_boot() {
	local waited=0
	while [ "$waited" -lt "$boot_timeout" ]; do
		sleep 5
		waited=$((waited + 5))
		kill -0 "$1" 2>/dev/null || return 0
		grep -q -a '^guest: running' "$log" 2>/dev/null && return 0
	done
	: >"$out/boot-timeout"
	kill "$1" 2>/dev/null || true
}

# run_qemu: run the guest once; rc is qemu's exit status.
run_qemu() {
	local tailpid="" qpid wpid
	rc=0
	if ! $quiet; then
		tail -n +1 -f "$log" &
		tailpid=$!
	fi
	timeout --foreground -k 10 "$timeout_s" "$@" </dev/null &
	qpid=$!
	watch_boot "$qpid" &
	wpid=$!
	wait "$qpid" || rc=$?
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	if [ -n "$tailpid" ]; then
		sleep 0.3
		kill "$tailpid" 2>/dev/null || true
		wait "$tailpid" 2>/dev/null || true
	fi
}

# A QEMU that crashes (a signal other than timeout's KILL) before the guest
# has started the command is the host's emulator failing, not the guest:
# TCG in QEMU 7.2 has been seen to die of SIGSEGV while the kernel boots.
# Boot once more then, keeping the first console; a crash once the command
# has run fails the run as before.
attempt=1
while :; do
	run_qemu "$@"
	if [ "$attempt" -ge 2 ] || [ "$rc" -le 128 ] || [ "$rc" = 137 ] ||
		[ -e "$out/boot-timeout" ] || [ -e "$out/status" ] ||
		grep -q -a '^guest: running' "$log"; then
		break
	fi
	echo "run-guest.sh: qemu died with status $rc while the guest booted (console: $out/console-crash.log); booting again" >&2
	mv -f "$log" "$out/console-crash.log"
	: >"$log"
	attempt=$((attempt + 1))
done

fail() {
	echo >&2
	echo "==== guest console (last 60 lines of $log) ====" >&2
	tail -n 60 "$log" >&2
	echo "==== end of console ====" >&2
	die "$*"
}

[ ! -e "$out/boot-timeout" ] ||
	fail "guest did not start its command within ${boot_timeout}s of booting (GUEST_BOOT_TIMEOUT; an overloaded host?)"
[ "$rc" != 124 ] && [ "$rc" != 137 ] || fail "guest did not finish within ${timeout_s}s"
[ "$rc" = 0 ] || fail "qemu exited with status $rc"

# Kernel reports that fail the run wherever they appear.
pattern='(Kernel panic|kernel BUG at|BUG: |WARNING: |Oops|general protection fault|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|bad pmd|bad pte|Bad page|INFO: task .* blocked|soft lockup|hard LOCKUP|list_add corruption|list_del corruption)'
expected=${GUEST_EXPECTED_REPORTS:-'^$'}
# The console up to the power-off only: once the kernel has shut the
# devices down, init may fail to run anything from the 9p root and exit
# ("Attempted to kill init") before QEMU stops the machine.
if { sed -n '/reboot: Power down/q; p' "$log"; cat "$out/dmesg" 2>/dev/null; } |
	grep -E -a "$pattern" | grep -v -a 'guest: ' |
	grep -v -E -a "$expected" >"$out/kernel-reports"; then
	fail "kernel reported a problem: $(head -n 1 "$out/kernel-reports")"
fi
[ -f "$out/status" ] || fail "guest did not report the command's exit status (crash?)"
status=$(cat "$out/status")
exit "$status"
