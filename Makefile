# Async-fork for Linux: build, boot and test the kernel series.
# Every target installs what it needs first (Debian 12, as root).
#
# The prerequisites carry the build chain (deps, kernel-source, series,
# kernel, selftests, tools); the scripts a target runs are told so with
# PREREQS_DONE=1 and skip those steps, which they take themselves when run
# on their own (scripts/lib.sh: build_prereqs).

S := scripts

.PHONY: all deps kernel-source series kernel selftests tools check check-full check-debug check-distro check-arm64 check-arm64-debug check-systemd deb redis-check redis-check-full valkey-check valkey-check-quick demo \
	bench bench-fork bench-faults export-series boot clean distclean

all: kernel

# What make check needs: the base packages and those of the Redis build.
deps:
	$(S)/deps.sh base redis

kernel-source: deps
	$(S)/kernel-source.sh

# Re-apply patches/linux onto the pristine tree (a no-op when it matches).
series: kernel-source
	$(S)/series.sh

kernel: series
	$(S)/kernel.sh

selftests: kernel
	$(S)/selftests.sh

# The launcher and the test programs, in build/tools.
tools: deps
	$(S)/tools.sh

# The test command: ends with "N passed, N failed, N skipped".
check: selftests tools
	PREREQS_DONE=1 $(S)/check.sh

# The same with the whole mm kselftest suite in both async-fork modes.
check-full: selftests tools
	MM_SUITE=full PREREQS_DONE=1 $(S)/check.sh

# Debug kernel (KASAN, lockdep, ...), every fork async: mm kselftests
# compared with async off, stress-ng, fault injection, snapshot torture.
# Hours in the TCG guest; not run by CI.
check-debug: series
	PREREQS_DONE=1 $(S)/check-debug.sh

# The series on Debian's own kernel config (Xen PV/PARAVIRT_XXL,
# PREEMPT_DYNAMIC, PTI, shadow stacks, the LSMs; modules off, 9p built in)
# in build/linux-distro: booted as is and with preempt=full, the async_fork
# kselftests in both vm.async_fork modes, the launcher test, the quick Redis
# checks.  Long (a Debian-sized kernel); not part of make check.
check-distro: series
	PREREQS_DONE=1 $(S)/check-distro.sh

# The series on arm64: a cross-built kernel in a qemu-system-aarch64 TCG
# guest (-M virt -cpu max) with an arm64 Debian root made by debootstrap
# (cached in build/arm64-root): the async_fork kselftests in both modes,
# the quick mm set with every fork async, the launcher test, Redis
# snapshots under async-fork-run.  Not part of make check.
check-arm64:
	$(S)/check-arm64.sh

# The same guest with the debug kernel of check-debug built for arm64:
# the async_fork kselftests with every fork async, the snapshot torture.
check-arm64-debug:
	ARM64_KERNEL=debug $(S)/check-arm64.sh

# The systemd drop-in tools/systemd/async-fork-cgroup.conf under a running
# systemd: Debian 12's systemd as PID 1 of a guest whose root is an x86-64
# Debian made with debootstrap (cached in build/x86-root), the drop-in
# installed on Debian's redis-server.service as its header says (AsyncFork:
# cgroup, memory.async_fork 1, an async BGSAVE fork), then removed (a plain
# fork).  Not part of make check: the root needs the Debian mirror.
check-systemd: kernel
	PREREQS_DONE=1 $(S)/systemd-check.sh

# Debian packages for a real machine: Debian's config with all its modules
# plus CONFIG_ASYNC_FORK=y, built with bindeb-pkg in build/linux-deb; the
# .debs go to build/deb/.  Hours on 2 cores.  DEB_SKIP_BUILD=1 checks the
# config only.
deb:
	$(S)/deb.sh

# The main job: build the patched kernel, boot it, show async fork on Redis.
demo: kernel
	PREREQS_DONE=1 $(S)/demo.sh

# Redis on async fork: the patched Redis (patches/redis, fork-async yes),
# snapshot consistency under writers (BGSAVE and BGREWRITEAOF), Debian's
# redis-server under async-fork-run, Redis's own test suite in the guest.
redis-check: kernel
	$(S)/redis-check.sh

redis-check-full: kernel
	REDIS_SUITE=full $(S)/redis-check.sh

# Valkey on async fork (patches/valkey against the Valkey 9.1.2 release,
# fork-async yes): Valkey's own suites for snapshots, AOF and replication
# (dual-channel replication off and on) and unit/other; snapshot consistency
# under writers at 1 GiB; the unmodified Valkey under async-fork-run and in
# a cgroup with memory.async_fork.  Hours in the TCG guest; valkey-check-quick
# is the quick set of make redis-check on Valkey.
valkey-check: kernel
	STORE=valkey REDIS_SUITE=valkey $(S)/redis-check.sh

valkey-check-quick: kernel
	STORE=valkey $(S)/redis-check.sh

# Benchmarks, plain against async fork (fork latency, Redis request
# latency around BGSAVE, small-process fork against the unpatched kernel),
# with a report: build/results/bench/report.md (BENCH_RESULTS).
bench:
	$(S)/bench.sh

# Fork latency alone, plain against async: make bench's fork part.
bench-fork:
	BENCH_PARTS=fork $(S)/bench.sh

# The fault, mprotect and zap paths of a process that never forks async,
# patched kernel against unpatched, on QEMU's instruction clock:
# build/results/bench-faults/report.md.  Builds the unpatched kernel.
bench-faults:
	$(S)/bench-faults.sh

# Export the commits of build/linux (base..HEAD) into patches/linux/.
export-series:
	$(S)/export-series.sh

# Boot the guest with an interactive-less command, e.g.
#   make boot CMD='uname -a'
boot: kernel
	$(S)/run-guest.sh -- $(CMD)

clean:
	rm -rf build/test-results build/guest-out build/kselftest

distclean:
	rm -rf build
