#!/bin/bash
# make bench-faults: what the fault, mprotect and zap paths cost a process
# on a kernel with async fork built in, against the unpatched kernel.
#
#   1. builds what is missing: the patched kernel (build/linux), the
#      unpatched one (tag 'base' of build/linux, in the git worktree
#      build/linux-base, same config), harness/bench/fault_bench.c;
#   2. boots the unpatched and the patched kernel in turn, FAULTS_PAIRS
#      times, each a 1-vCPU guest on an instruction clock (QEMU -icount,
#      no KASLR, no address-space randomisation), so that the time of a
#      loop is the work the kernel did and host load does not enter it;
#   3. runs fault_bench in each guest: on the patched kernel first before
#      anything forked async (the checks are patched out: "patched"), then
#      after one async fork ("patched-async");
#   4. writes FAULTS_RESULTS/faults.csv and report.md: medians per kernel
#      and step, and their ratio to the unpatched kernel; meta.txt: the
#      project commit and the series (scripts/series-id.sh).
#
# Environment: FAULTS_PAIRS (3), FAULTS_MIB (64), FAULTS_REPS (10),
# BENCH_BUILD (1; 0: use the kernels as they are), FAULTS_RESULTS
# (build/results/bench-faults), FAULTS_TIMEOUT (per guest, 1800 s).
set -eu
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
pairs=${FAULTS_PAIRS:-3}
mib=${FAULTS_MIB:-64}
reps=${FAULTS_REPS:-10}
do_build=${BENCH_BUILD:-1}
tmo=${FAULTS_TIMEOUT:-1800}
results=${FAULTS_RESULTS:-$BUILD/results/bench-faults}
work=$BUILD/bench-faults
base_tree=$BUILD/linux-base
for v in "$pairs" "$mib" "$reps" "$do_build" "$tmo"; do
	case $v in '' | *[!0-9]*) die "FAULTS_PAIRS, FAULTS_MIB, FAULTS_REPS, BENCH_BUILD and FAULTS_TIMEOUT must be numbers" ;; esac
done
[ "$pairs" -ge 1 ] || die "FAULTS_PAIRS must be at least 1"

if [ "$do_build" = 1 ]; then
	"$S/deps.sh"
	"$S/kernel-source.sh"
	"$S/series.sh"
	"$S/kernel.sh"
	KERNEL_REV=base kernel_worktree "$base_tree" "unpatched kernel (tag base)"
	note "building the unpatched kernel (same config; 10+ minutes from scratch)"
	KSRC=$base_tree KOUT=$base_tree "$S/kernel.sh"
fi
need_tool gcc make python3 git
patched=$KOUT/arch/x86/boot/bzImage
base=$base_tree/arch/x86/boot/bzImage
[ -f "$patched" ] || die "no patched kernel in $KOUT (run with BENCH_BUILD=1)"
[ -f "$base" ] || die "no unpatched kernel in $base_tree (run with BENCH_BUILD=1)"
[ "$(git -C "$base_tree" rev-parse HEAD)" = "$(git -C "$KSRC" rev-parse 'base^{commit}')" ] ||
	die "$base_tree is not at tag base"

# The commit the patched kernel was built from: taken now, as the tree may
# move on while the guests run.
kern_rev=$(git -C "$KSRC" rev-parse --short HEAD)
tools=$BUILD/tools
mkdir -p "$tools" "$work" "$results"
"$S/series-id.sh" >"$results/meta.txt"
make -s -C "$TOP/harness" O="$tools" CC=gcc fault_bench

# session NAME BZIMAGE COMMANDS: one icount boot, its CSV in $work/NAME.
session() {
	local name=$1 kernel=$2 cmd=$3 out=$work/$1
	rm -rf "$out"
	mkdir -p "$out"
	note "bench-faults: booting $name"
	GUEST_ICOUNT=3 "$S/run-guest.sh" -q -m 2048 -c 1 -t "$tmo" -k "$kernel" \
		-o "$out" -a "nokaslr norandmaps" -- "$cmd" ||
		die "the $name guest failed (console: $out/console.log)"
	[ -s "$out/faults.csv" ] || die "no data from the $name guest ($out)"
}

fb="$tools/fault_bench -m $mib -r $reps"
csv=$results/faults.csv
echo "session,label,rep,mib,fault_ns,mprotect_ns,dontneed_ns,refault_ns,munmap_ns" >"$csv"
for i in $(seq 1 "$pairs"); do
	session "base-$i" "$base" "$fb -l base > \$GUEST_OUT/faults.csv"
	session "patched-$i" "$patched" \
		"{ $fb -l patched && $fb -a -l patched-async | tail -n +2; } > \$GUEST_OUT/faults.csv"
	for s in "base-$i" "patched-$i"; do
		tail -n +2 "$work/$s/faults.csv" | sed "s/^/$i,/" >>"$csv"
	done
done

python3 - "$csv" "$results/report.md" "$(git -C "$TOP" rev-parse --short HEAD)" \
	"$kern_rev" "$pairs" "$mib" "$reps" <<'EOF'
import csv, statistics, sys
src, out, repo, kern, pairs, mib, reps = sys.argv[1:]
steps = ["fault_ns", "mprotect_ns", "dontneed_ns", "refault_ns", "munmap_ns"]
names = {"fault_ns": "write fault", "mprotect_ns": "mprotect RO+RW",
         "dontneed_ns": "MADV_DONTNEED", "refault_ns": "write fault again",
         "munmap_ns": "munmap"}
rows = list(csv.DictReader(open(src)))
labels = ["base", "patched", "patched-async"]
med = {(l, s): statistics.median(float(r[s]) for r in rows if r["label"] == l)
       for l in labels for s in steps}
lines = [
    "# Fault, mprotect and zap paths: async fork built in, against the unpatched kernel",
    "",
    "`make bench-faults` (scripts/bench-faults.sh), repository %s, kernel tree %s." % (repo, kern),
    "%s pairs of 1-vCPU guests on QEMU's instruction clock (`-icount shift=3`, no KASLR," % pairs,
    "no ASLR), unpatched and patched booted in turn; `fault_bench -m %s -r %s` in each" % (mib, reps),
    "(%s MiB of anonymous memory, no THP, %s repetitions after a warm-up)." % (mib, reps),
    "`patched`: the patched kernel before anything forked async (the checks patched",
    "out by the static key); `patched-async`: the same boot after one async fork.",
    "Medians of all repetitions, ns of the instruction clock per 4 KiB page.",
    "",
    "| step | base | patched | ratio | patched-async | ratio |",
    "|---|---:|---:|---:|---:|---:|",
]
for s in steps:
    b = med[("base", s)]
    p = med[("patched", s)]
    a = med[("patched-async", s)]
    lines.append("| %s | %.1f | %.1f | %.4f | %.1f | %.4f |" % (names[s], b, p, p / b, a, a / b))
lines += ["", "Per session (median write fault, ns per page):", "",
          "| pair | base | patched | patched-async |", "|---|---:|---:|---:|"]
for i in sorted({r["session"] for r in rows}, key=int):
    v = [statistics.median(float(r["fault_ns"]) for r in rows
                           if r["session"] == i and r["label"] == l) for l in labels]
    lines.append("| %s | %.1f | %.1f | %.1f |" % (i, *v))
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
note "report: ${results#"$TOP"/}/report.md"
