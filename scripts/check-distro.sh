#!/bin/bash
# make check-distro: the series on Debian's own kernel config.  Builds the
# patched kernel from Debian's config for this version (linux-config-6.12)
# with only what the QEMU guest needs changed (scripts/distro-config.sh
# guest, kernel-config/distro-guest.config: no modules, 9p/virtio/zram
# built in, no debug info), so with Xen PV (PARAVIRT_XXL), PREEMPT_DYNAMIC,
# page table isolation, user shadow stacks and Debian's LSMs, in its own
# tree build/linux-distro (a git worktree of build/linux, like
# build/linux-debug).  Then boots it twice, as it is (Debian's voluntary
# preemption) and with preempt=full, and runs in each: the async_fork and
# async_fork_prctl kselftests with vm.async_fork=1 and =2, the launcher
# test, and the quick Redis checks (scripts/redis-check.sh).  Records
# uname -a, /proc/cmdline and the preemption mode of each boot; prints the
# build and run times; ends with "N passed, N failed, N skipped".
#
# Results: build/test-results/distro/ (times.txt: the build and run
# times).  Not part of make check.
#
#   REDIS_CHECK=no     leave the Redis checks out
#   DISTRO_TIMEOUT     seconds each test guest may take (default 3600)
set -eu
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
T=$TOP/harness
G=$TOP/harness/guest
tree=$BUILD/linux-distro
t_start=$(date +%s)
since() { echo $(($(date +%s) - $1)); }
mins() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# make check-distro has done these (the Makefile's prerequisites).
build_prereqs deps.sh kernel-source.sh series.sh

# The config first: fails here, before any build, when an option the
# guest needs or CONFIG_ASYNC_FORK is dropped.
t=$(date +%s)
"$S/distro-config.sh" --worktree guest "$tree"
t_config=$(since "$t")

need_tool ccache
jobs=$(nproc)
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export KBUILD_BUILD_TIMESTAMP="2024-12-01 00:00:00 UTC"
export KBUILD_BUILD_USER=async-fork KBUILD_BUILD_HOST=build
# Debian's built-in set is about 2,500 objects, 1.8 times the test guest's
# (estimate from the Kbuild files, 2026-12): roughly 30 to 60 minutes on 2
# cores the first time, minutes with a warm ccache.
note "building bzImage in $tree (ccache, $jobs jobs; about 2,500 objects: 30 to 60 minutes on 2 cores the first time)"
t=$(date +%s)
make -s -C "$tree" ARCH=x86_64 CC="ccache gcc" -j"$jobs" bzImage
t_build=$(since "$t")
kimg=$tree/arch/x86/boot/bzImage
krel=$(cat "$tree/include/config/kernel.release")
note "kernel: $kimg ($krel), built in $(mins "$t_build")"

"$S/selftests.sh"
"$S/tools.sh"

results=$BUILD/test-results/distro
rm -rf "$results"
mkdir -p "$results"
"$S/series-id.sh" >"$results/meta.txt" # the commit and the series of this run
taps=""
# tag LABEL: put [LABEL] before the name of each TAP result line.
tag() { sed -E "s/^((# )*)(not ok|ok) ([0-9]+) /\1\3 \4 [$1] /"; }

# What the kernel is, from its .config on the host.
n=0
{
	for opt in ASYNC_FORK PARAVIRT_XXL XEN_PV PREEMPT_DYNAMIC MITIGATION_PAGE_TABLE_ISOLATION X86_USER_SHADOW_STACK; do
		n=$((n + 1))
		if grep -qx "CONFIG_$opt=y" "$tree/.config"; then
			echo "ok $n distro kernel config: CONFIG_$opt=y"
		else
			echo "not ok $n distro kernel config: CONFIG_$opt is not y"
		fi
	done
} | tee "$results/config.tap"
taps="$taps $results/config.tap"

# The preemption mode a plain boot should show: Debian's default.
default_preempt=voluntary
grep -qx 'CONFIG_PREEMPT_NONE=y' "$tree/.config" && default_preempt=none
grep -qx 'CONFIG_PREEMPT=y' "$tree/.config" && default_preempt=full

times=""
for variant in default preempt-full; do
	case $variant in
	default) args="" want=$default_preempt ;;
	preempt-full) args="preempt=full" want=full ;;
	esac
	out=$results/$variant
	mkdir -p "$out"
	# The guest's part, in the share it writes back to (/mnt/xfer).
	cat >"$out/distro-guest.sh" <<EOF
# Written by scripts/check-distro.sh; runs in the guest.
out=\$GUEST_OUT
{
	echo "uname -a: \$(uname -a)"
	echo "cmdline: \$(cat /proc/cmdline)"
	if [ -r /sys/kernel/debug/sched/preempt ]; then
		echo "preempt: \$(cat /sys/kernel/debug/sched/preempt)"
	else
		echo "preempt: (no /sys/kernel/debug/sched/preempt)"
	fi
	echo "dmesg: \$(dmesg | grep -m 1 'Dynamic Preempt' || echo '(no Dynamic Preempt line)')"
	echo "vm.async_fork: \$(cat /proc/sys/vm/async_fork 2>&1)"
} | tee "\$out/info.txt"
for mode in 1 2; do
	mkdir -p "\$out/mm-\$mode"
	GUEST_OUT=\$out/mm-\$mode ASYNC_FORK_MODE=\$mode VM_SELFTEST_ITEMS=async_fork \\
		KSELFTEST_DIR=$(printf %q "$BUILD/kselftest") $(printf %q "$G/guest-mm-tests.sh")
done
ASYNC_FORK_RUN=$(printf %q "$BUILD/tools/async-fork-run") \\
	STATIC_FORK_TEST=$(printf %q "$BUILD/tools/static-fork-test") \\
	$(printf %q "$G/launcher-test.sh") | tee "\$out/launcher.tap"
EOF
	note "distro kernel in the guest ($variant${args:+: $args}): uname, preemption mode, async_fork kselftests with vm.async_fork=1 and =2, launcher test"
	t=$(date +%s)
	# 8 GiB with 1 GiB and 2 MiB huge pages, as make check gives the
	# async_fork tests (one of them maps a 1 GiB hugetlb page).  A TAP
	# without results, or a kernel report, counts as a failure
	# (guest_tap); the launcher test's results nested one level, as the
	# summariser counts leaves.
	guest_tap -S -T mm-1/mm.tap -T mm-2/mm.tap -N "launcher.tap=$out/launcher-nested.tap" \
		"distro guest" "$out" -k "$kimg" -m 8192 -t "${DISTRO_TIMEOUT:-3600}" \
		-a "default_hugepagesz=2M hugepages=16 hugepagesz=1G hugepages=4 $args" \
		-- "bash /mnt/xfer/distro-guest.sh"
	t_guest=$(since "$t")

	# The boot: this kernel, this command line, this preemption mode.
	{
		sed 's/^/# /' "$out/info.txt" 2>/dev/null
		uname_line=$(sed -n 's/^uname -a: //p' "$out/info.txt" 2>/dev/null)
		case " $uname_line " in
		*" $krel "*) echo "ok 1 the guest ran the distro kernel ($krel)" ;;
		*) echo "not ok 1 the guest ran the distro kernel ($krel): uname says '${uname_line:-nothing}'" ;;
		esac
		# "none (voluntary) full": the mode in use is in parentheses.
		mode=$(sed -n 's/^preempt: .*(\([a-z]*\)).*/\1/p' "$out/info.txt" 2>/dev/null)
		[ -n "$mode" ] || mode=$(sed -n 's/^dmesg: .*Dynamic Preempt: \([a-z]*\).*/\1/p' "$out/info.txt" 2>/dev/null)
		if [ "$mode" = "$want" ]; then
			echo "ok 2 preemption mode is $want"
		else
			echo "not ok 2 preemption mode is $want: the guest shows '${mode:-nothing}'"
		fi
	} | tag "distro $variant" | tee "$out/boot.tap"
	taps="$taps $out/boot.tap"

	for mode in 1 2; do
		f=$out/mm-$mode/mm.tap
		grep -a -E '^(# )*(not )?ok [0-9]' "$f" || true
		tag "distro $variant async_fork=$mode" <"$f" >"$out/mm-$mode-named.tap"
		taps="$taps $out/mm-$mode-named.tap"
	done
	tag "distro $variant" <"$out/launcher-nested.tap" >"$out/launcher-named.tap"
	cat "$out/launcher-named.tap"
	taps="$taps $out/launcher-named.tap"

	t_redis=0
	if [ "${REDIS_CHECK:-yes}" != no ]; then
		t=$(date +%s)
		REDIS_SUITE=quick REDIS_SUMMARY=no REDIS_RESULTS=$out/redis \
			REDIS_KERNEL=$kimg REDIS_KERNEL_ARGS=$args "$S/redis-check.sh" || true
		t_redis=$(since "$t")
		found=no
		for f in "$out"/redis/*.tap; do
			[ -f "$f" ] || continue
			found=yes
			tag "distro $variant" <"$f" >"$out/redis-$(basename "$f")"
			taps="$taps $out/redis-$(basename "$f")"
		done
		if [ $found = no ]; then
			echo "not ok 1 [distro $variant] redis checks: scripts/redis-check.sh stopped before any test (see above)" >"$out/redis.tap"
			taps="$taps $out/redis.tap"
		fi
	fi
	times="$times, $variant: guest $(mins "$t_guest")$([ "$t_redis" = 0 ] || echo " + redis $(mins "$t_redis")")"
done

echo "config $(mins "$t_config"), kernel build $(mins "$t_build")$times; total $(mins "$(since "$t_start")")" |
	tee "$results/times.txt" | sed 's/^/==> times: /' >&2
# shellcheck disable=SC2086
python3 "$T/tap-summary.py" $taps
