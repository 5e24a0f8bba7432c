#!/bin/bash
# Checks that the guest runner reports failure: a command that fails, a
# guest that panics, a guest that hangs and a QEMU that keeps crashing while
# it boots must each make run-guest.sh exit non-zero; a command that
# succeeds, also after one QEMU crash at boot, must make it exit 0.  TAP on
# stdout.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/harness-selftest}
run=$top/scripts/run-guest.sh
n=0
fails=0

check() {
	local want=$1 limit=$2 name=$3
	shift 3
	n=$((n + 1))
	local rc=0
	"$run" -q -m 512 -t "$limit" -o "$out/$n" -- "$@" >"$out/$n.log" 2>&1 || rc=$?
	if { [ "$want" = pass ] && [ "$rc" = 0 ]; } || { [ "$want" = fail ] && [ "$rc" != 0 ]; }; then
		echo "# ok $n $name"
	else
		echo "# not ok $n $name # exit=$rc"
		tail -n 20 "$out/$n.log" | sed 's/^/# # /'
		fails=$((fails + 1))
	fi
}

# crashing_qemu DIR MODE: put a qemu-system-x86_64 into DIR that dies of
# SIGSEGV before it starts (MODE once: the first time only; always), the
# way QEMU 7.2's TCG has been seen to die while a guest boots, and runs
# the real QEMU otherwise.
crashing_qemu() {
	local dir=$1 mode=$2 real
	real=$(command -v qemu-system-x86_64) || return 1
	mkdir -p "$dir"
	rm -f "$dir/crashed"
	cat >"$dir/qemu-system-x86_64" <<-EOF
		#!/bin/bash
		if [ "$mode" = always ] || [ ! -e "$dir/crashed" ]; then
		        : >"$dir/crashed"
		        kill -SEGV \$\$
		fi
		exec "$real" "\$@"
	EOF
	chmod +x "$dir/qemu-system-x86_64"
}

mkdir -p "$out"
echo "TAP version 13"
check pass 120 "harness: a passing command passes" "true"
check fail 120 "harness: a failing command fails" "exit 3"
check fail 120 "harness: a guest panic fails" "echo c >/proc/sysrq-trigger"
check fail 25 "harness: a guest that hangs fails at the time limit" "sleep 1000"
crashing_qemu "$out/qemu-once" once
PATH=$out/qemu-once:$PATH check pass 120 "harness: a QEMU crash while booting is booted again" "true"
crashing_qemu "$out/qemu-always" always
PATH=$out/qemu-always:$PATH check fail 120 "harness: a QEMU that crashes at every boot fails" "true"
echo "# 1..$n"
[ "$fails" = 0 ] && echo "ok 1 harness" || echo "not ok 1 harness"
