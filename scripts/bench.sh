#!/bin/bash
# make bench: the benchmarks of async fork, side by side, with a report.
#
#   1. builds what is missing (packages, the patched kernel, the tools),
#   2. boots the patched kernel once and runs harness/guest/guest-bench.sh
#      (small-process fork, fork latency, Redis latency during BGSAVE),
#      then the arm64 guest (scripts/build-arm64-kernel.sh) for its fork
#      latency,
#   3. builds the unpatched kernel (tag 'base' of build/linux, in the git
#      worktree build/linux-base, same config) and boots it once for the
#      small-process fork,
#   4. writes build/results/bench/ (BENCH_RESULTS): the data as CSV,
#      report.md, PNG plots; each part's meta-*.txt names the project
#      commit and the series (scripts/series-id.sh).  A run worth keeping
#      is copied by hand to results/DATE-bench/ (results/README.md).
#
# Environment:
#   BENCH_PARTS   what to measure: any of "fork redis small base arm64"
#                 (default: all).  small = small-process fork on the
#                 patched kernel, base = the same on the unpatched one,
#                 arm64 = the fork part in the arm64 guest (TCG, -cpu max),
#                 its own floor and targets in the report.
#                 The report is always rewritten; parts not run keep the
#                 data of an earlier run.
#   BENCH_BUILD   1 (default): run the build chain first (deps.sh,
#                 kernel-source.sh, series.sh, kernel.sh, tools.sh);
#                 0: use the kernels and packages as they are
#   BENCH_MEM, BENCH_CPUS  guest size (default 12288 MiB, 2 vCPUs; both
#                 sessions use the same)
#   BENCH_TIMEOUT guest time limit per session, seconds (default 10800)
#   BENCH_SMALL_PAIRS  pairs of guest sessions (unpatched, then patched)
#                 for the small-process fork on an instruction clock
#                 (QEMU -icount, 1 vCPU, no address-space randomisation):
#                 the measure that host load and boot-to-boot noise leave
#                 alone; when both small and base are measured (default 3)
#   BENCH_QUIET_WAIT  seconds to wait for the host's load average to fall
#                 below 1 before each session (default 300)
#   BENCH_RESULTS where the report goes (default build/results/bench)
#   Passed to the guest (defaults in harness/guest/guest-bench.sh):
#   FORK_SIZES ("256 512 1024 2048 4096" MiB), FORK_REPS (5),
#   FORK_SPARSE_GIB ("1024 16384": sparse reservations, GiB; empty for
#   none), REDIS_MB
#   (2048), REDIS_VALUE_SIZE (1000), REDIS_CONNS (4), REDIS_GET_PCT (50),
#   REDIS_SAVES (3), REDIS_IDLE_SAVES (7: BGSAVEs without load, each
#   followed by one of an empty twin server),
#   REDIS_GAP (4 s), REDIS_CONFIGS ("plain thp async alt plain:4096
#   async:4096 plain:16 async:16": CFG:MB for a dataset of MB MiB instead
#   of REDIS_MB, below 64 MiB a floor that the report sets beside the
#   targets; alt: one server, its BGSAVEs alternating plain and async fork;
#   valkey-CFG[:MB], e.g. valkey-async, the same with the Valkey server;
#   when build/valkey/src/valkey-server exists (scripts/build-valkey.sh),
#   the default adds valkey-plain valkey-async),
#   REDIS_ALT_SAVES (6: BGSAVEs of an alt configuration),
#   REDIS_SERVER (build/redis/src/redis-server when it has the fork-async
#   option, else Debian's), VALKEY_SERVER (build/valkey/src/valkey-server,
#   for the valkey- configurations), SMALL_FORKS (1000), SMALL_REPS (10).
#
# Quick look (no unpatched kernel build):
#   BENCH_PARTS="fork redis small" FORK_SIZES=256 REDIS_MB=128 BENCH_MEM=4096 scripts/bench.sh
set -eu
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
B=$TOP/harness/bench
G=$TOP/harness/guest
parts=${BENCH_PARTS:-"fork redis small base arm64"}
do_build=${BENCH_BUILD:-1}
mem=${BENCH_MEM:-12288}
cpus=${BENCH_CPUS:-2}
timeout_s=${BENCH_TIMEOUT:-10800}
small_pairs=${BENCH_SMALL_PAIRS:-3}
results=${BENCH_RESULTS:-$BUILD/results/bench}
work=$BUILD/bench
# The project commit and the series, for the meta of each part (the guest
# writes them as it finds them in BENCH_SERIES).
series=$("$S/series-id.sh" | tr '\n' ' ')
base_tree=$BUILD/linux-base
guest_vars="FORK_SIZES FORK_REPS FORK_SPARSE_GIB REDIS_MB REDIS_VALUE_SIZE REDIS_CONNS
REDIS_GET_PCT REDIS_SAVES REDIS_ALT_SAVES REDIS_IDLE_SAVES REDIS_GAP REDIS_CONFIGS REDIS_SERVER VALKEY_SERVER
SMALL_FORKS SMALL_REPS"

guest_parts=""
run_base=false
run_arm64=false
for p in $parts; do
	case $p in
	fork | redis | small) guest_parts="$guest_parts $p" ;;
	base) run_base=true ;;
	arm64) run_arm64=true ;;
	*) die "BENCH_PARTS: unknown part '$p' (fork, redis, small, base, arm64)" ;;
	esac
done
guest_parts=${guest_parts# }
for v in "$mem" "$cpus" "$timeout_s" "$do_build" "$small_pairs"; do
	case $v in '' | *[!0-9]*) die "BENCH_MEM, BENCH_CPUS, BENCH_TIMEOUT, BENCH_BUILD and BENCH_SMALL_PAIRS must be numbers" ;; esac
done

# The command that reruns this: the settings that differ from the
# defaults, then make bench.
rerun=""
for v in BENCH_PARTS BENCH_MEM BENCH_CPUS BENCH_SMALL_PAIRS $guest_vars; do
	[ -n "${!v+set}" ] || continue
	case ${!v} in
	'' | *[!A-Za-z0-9_./-]*) rerun="$rerun $v='${!v}'" ;;
	*) rerun="$rerun $v=${!v}" ;;
	esac
done
rerun="${rerun# } make bench"
rerun=${rerun# }

# Valkey beside Redis by default once it is built (scripts/build-valkey.sh):
# guest-bench.sh's default configurations and valkey-plain valkey-async.
# Set after the rerun command, which on this machine does the same.
if [ -z "${REDIS_CONFIGS:-}" ] && [ -x "$BUILD/valkey/src/valkey-server" ]; then
	REDIS_CONFIGS=$(sed -n 's/^REDIS_CONFIGS=\${REDIS_CONFIGS:-"\([^"]*\)"}$/\1/p' "$G/guest-bench.sh")
	[ -n "$REDIS_CONFIGS" ] || die "no default REDIS_CONFIGS in $G/guest-bench.sh"
	REDIS_CONFIGS="$REDIS_CONFIGS valkey-plain valkey-async"
	note "bench: build/valkey is there: REDIS_CONFIGS=\"$REDIS_CONFIGS\""
fi

# ---- build ------------------------------------------------------------------
if [ "$do_build" = 1 ]; then
	"$S/deps.sh"
	"$S/kernel-source.sh"
	"$S/series.sh"
	"$S/kernel.sh"
	"$S/tools.sh"
	if $run_arm64; then
		"$S/deps.sh" arm64
		"$S/arm64-root.sh"
		"$S/build-arm64-kernel.sh" >/dev/null
	fi
fi
# gnuplot for the plots (in deps.sh's base too; BENCH_BUILD=0 skips that).
command -v gnuplot >/dev/null 2>&1 || "$S/deps.sh" bench
need_tool gcc make python3 gnuplot git

# The benchmark programs (harness/Makefile; quick, and nothing to do
# when tools.sh has built them).
tools=$BUILD/tools
make -s -C "$TOP/harness" O="$tools" CC=gcc fork_bench small_fork redis_latency
arm64_tools=$BUILD/bench-arm64/tools
arm64_kernel=$BUILD/linux-arm64/arch/arm64/boot/Image
if $run_arm64; then
	need_tool aarch64-linux-gnu-gcc
	[ -f "$arm64_kernel" ] ||
		die "no arm64 kernel in ${arm64_kernel%/arch/*} (run with BENCH_BUILD=1, or scripts/build-arm64-kernel.sh)"
	make -s -C "$TOP/harness" O="$arm64_tools" CC=aarch64-linux-gnu-gcc fork_bench
fi

# wait_quiet: the load average still counts a build that just ended (it
# decays over minutes).  Give it up to BENCH_QUIET_WAIT seconds (default
# 300) to fall below 1 before a measured session; carry on either way.
wait_quiet() {
	local waited=0 limit=${BENCH_QUIET_WAIT:-300}
	while [ "$waited" -lt "$limit" ] &&
		awk '{ exit !($1 >= 1) }' /proc/loadavg; do
		[ "$waited" != 0 ] || note "bench: waiting up to ${limit}s for the host load average to fall below 1"
		sleep 10
		waited=$((waited + 10))
	done
}

# guest_session NAME BZIMAGE PARTS LABEL [SESSION [CLOCK [ARCH]]]: one
# boot, results in $work/NAME; SESSION numbers the small-process fork data
# (default 0).  CLOCK icount: a 1-vCPU guest whose clock counts
# instructions (run-guest.sh GUEST_ICOUNT), without KASLR and user address
# randomisation, so that one boot times a loop as the next does.  ARCH
# arm64: the arm64 guest, with the tools built for it.
guest_session() {
	local name=$1 kernel=$2 gparts=$3 label=$4 session=${5:-0} clock=${6:-wall}
	local garch=${7:-x86_64} out=$work/$1 env="" v load icount="" gcpus=$cpus
	local gmem=$mem args="" ghost=$host t0
	for v in $guest_vars; do
		[ -z "${!v+set}" ] || env="$env $v=$(printf '%q' "${!v}")"
	done
	if [ "$garch" = arm64 ]; then
		env="$env BENCH_TOOLS=$arm64_tools"
		ghost="$host, guest CPU aarch64 -cpu max"
	fi
	if [ "$clock" = icount ]; then
		icount=3 gcpus=1 gmem=2048 args="nokaslr norandmaps"
	fi
	rm -rf "$out"
	mkdir -p "$out"
	[ "$clock" = icount ] || wait_quiet
	# The host's own plain fork of 1 GiB (ms; empty when it cannot spare
	# the memory), once, on a quiet host: what the report sets the
	# guest's times beside.
	[ -n "${host_fork_ms+set}" ] ||
		host_fork_ms=$(python3 "$B/host_fork.py") || host_fork_ms=""
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	note "bench: host load average $load (other work skews the numbers)"
	note "bench: booting the $name kernel ($gmem MiB, $gcpus vCPUs, $clock clock): $gparts"
	t0=$SECONDS
	GUEST_ARCH=$garch GUEST_ICOUNT=$icount "$S/run-guest.sh" -m "$gmem" -c "$gcpus" -t "$timeout_s" \
		-k "$kernel" -o "$out" ${args:+-a "$args"} -- \
		"BENCH_PARTS='$gparts' BENCH_LABEL=$label BENCH_SERIES='${series% }'$env $G/guest-bench.sh" ||
		die "the $name guest session failed (console: $out/console.log)"
	# The facts the report gives with the numbers: the guest's
	# accelerator, how long the session took, the host's own fork.
	python3 "$B/report.py" ingest "$out" "$results" --rerun "$rerun" \
		--session "$session" --clock "$clock" --arch "$garch" \
		--host "$ghost, load average $load at the start" \
		--meta "accel=$(cat "$out/accel" 2>/dev/null)" \
		--meta "guest_s=$((SECONDS - t0))" \
		--meta "host_fork_1g_ms=$host_fork_ms"
}

mkdir -p "$work" "$results"
# A new small-process comparison replaces the old one's sessions.
case " $parts " in *" small "*) rm -f "$results"/small-fork-patched*.csv ;; esac
! $run_base || rm -f "$results"/small-fork-base*.csv
host="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) CPUs"
if [ -n "$guest_parts" ]; then
	guest_session patched "$KOUT/arch/x86/boot/bzImage" "$guest_parts" patched
fi
if $run_arm64; then
	guest_session patched-arm64 "$arm64_kernel" fork patched 0 wall arm64
fi

# ---- the unpatched kernel ------------------------------------------------------
if $run_base; then
	[ -d "$KSRC/.git" ] || die "no kernel tree in $KSRC (run: make kernel-source)"
	base_rev=$(git -C "$KSRC" rev-parse "base^{commit}") || die "no tag 'base' in $KSRC"
	if [ "$do_build" = 1 ]; then
		KERNEL_REV=base kernel_worktree "$base_tree" "unpatched kernel (tag base)"
		note "building the unpatched kernel (same config; 10+ minutes from scratch)"
		KSRC=$base_tree KOUT=$base_tree "$S/kernel.sh"
	fi
	[ -f "$base_tree/arch/x86/boot/bzImage" ] ||
		die "no unpatched kernel in $base_tree (run with BENCH_BUILD=1)"
	[ "$(git -C "$base_tree" rev-parse HEAD)" = "$base_rev" ] ||
		die "$base_tree is not at tag base"
	guest_session base "$base_tree/arch/x86/boot/bzImage" small base
	# On the wall clock one boot differs from the next by more than the
	# 3% looked for (up to 12% seen): the comparison is made on the
	# instruction clock, sessions of the two kernels alternating.
	case " $parts " in
	*" small "*)
		for i in $(seq 1 "$small_pairs"); do
			guest_session "base-ic$i" "$base_tree/arch/x86/boot/bzImage" small base "$i" icount
			guest_session "patched-ic$i" "$KOUT/arch/x86/boot/bzImage" small patched "$i" icount
		done
		;;
	esac
fi

python3 "$B/report.py" report "$results" --work "$work/plot"
note "report: ${results#"$TOP"/}/report.md"
