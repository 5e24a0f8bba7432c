#!/bin/bash
# The async fork ABI rule, checked with strace on whatever kernel this runs
# on: nothing issues PR_SET_ASYNC_FORK (0x5341464b), clone3() with
# CLONE_ASYNC (bit 60) or PR_GET_ASYNC_FORK (0x4741464b) other than the
# probe (PR_ASYNC_FORK_PROBE, 2) before the probe answered
# PR_ASYNC_FORK_MAGIC (0x41464b31); see tools/include/async_fork_abi.h.
#
# First probes the kernel itself (python3 ctypes, prctl).  Then, under
# strace -f -e trace=prctl,clone,clone3,execve:
#
#   a. the patched redis-server with fork-async yes, one BGSAVE
#   b. the same with fork-async no
#   c. Debian's redis-server under async-fork-run, one BGSAVE
#   d. async-fork-run --strict /bin/true
#
# Kernel without the series (the probe fails): (a) exactly one probe, no
# PR_SET_ASYNC_FORK, no other PR_GET_ASYNC_FORK, no clone3 with bit 60, a
# plain fork for the BGSAVE, one "lacks async fork" warning in the log,
# latest_fork_async 0; (b) no async fork prctl at all; (c) one probe, no
# PR_SET_ASYNC_FORK, one warning from the launcher; (d) exit 1, program
# not run.  Kernel with the series: (a) the probe first, answered, then
# PR_SET_ASYNC_FORK ONCE before the fork (none when the mode is already
# on), latest_fork_async 1, no warning; (b) no async fork prctl; (c) the
# probe, then PR_SET_ASYNC_FORK ON before the exec, no warning; (d) the
# program runs, exit 0.  There strace runs with -e raw=all: decoding an
# argument (a string, clone3's struct) reads the tracee's memory with
# process_vm_readv, which pins its pages, sets MMF_HAS_PINNED on its mm
# for good, and so turns every later fork of it synchronous.
#
# Prints TAP, one line per check (a failure says what was seen); exits 0
# if every check passed or was skipped, 1 otherwise.  Nothing is timed.
# The servers listen on 127.0.0.1 (free ports), work in a temp directory,
# and are stopped on exit.
#
# Environment:
#   REDIS_SERVER        the patched server (default build/redis/src/redis-server)
#   SYSTEM_REDIS_SERVER the unmodified one for (c) (default /usr/bin/redis-server)
#   ASYNC_FORK_RUN      the launcher (default build/tools/async-fork-run)
#   REDIS_CHECK=no      skip (a) and (b): the patched Redis is not built
#   ABI_PROBE_OUT       where the strace logs, server logs and stderr go
#                       (default $GUEST_OUT/abi-probe when GUEST_OUT is
#                       set, else a temp directory that is kept)
#   ABI_PROBE_TIMEOUT   seconds each wait may take (default 120)
#
# abi-probe-test.sh --self-test runs every strace-based check on made-up
# strace logs (good ones and ones with a forbidden call added) and prints
# TAP: each check must pass on the good log and fail on the bad ones.
# The checks are called through t and expect.
# shellcheck disable=SC2317
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=harness/redis-lib.sh
. "$here/redis-lib.sh" # rcall, field
export LC_ALL=C

SERVER=${REDIS_SERVER:-$top/build/redis/src/redis-server}
SYSTEM_SERVER=${SYSTEM_REDIS_SERVER:-/usr/bin/redis-server}
RUN=${ASYNC_FORK_RUN:-$top/build/tools/async-fork-run}
REDIS_CHECK=${REDIS_CHECK:-yes}
TMO=${ABI_PROBE_TIMEOUT:-120}
case $TMO in '' | *[!0-9]*) echo "Bail out! ABI_PROBE_TIMEOUT must be a number"; exit 1 ;; esac

# A write to a connection Redis has closed must fail, not kill the script.
trap '' PIPE

# ---------------------------------------------------------------------------
# The strace log parser.  Prints "fact NAME VALUE" and "call KIND LINE".
# Handles both strace styles: decoded (prctl(0x4741464b /* PR_??? */, 0x2,
# ...), or PR_GET_ASYNC_FORK once strace knows the name; clone3 flags as
# CLONE_VM|...|0x1000000000000000) and raw (-e raw=all: prctl(0x4741464b,
# 0x2, ...), clone(0x1200011, ...), clone3(0x7ffc..., 0x58) with the flags
# not visible), and calls split into "<unfinished ...>" and "<... resumed>".
# shellcheck disable=SC2016
PARSER='
import re, sys

GET, SET, MAGIC = 0x4741464b, 0x5341464b, 0x41464b31
CLONE_VM, CLONE_VFORK, CLONE_THREAD, CLONE_ASYNC = 0x100, 0x4000, 0x10000, 1 << 60
NAMES = {
    "PR_GET_ASYNC_FORK": GET, "PR_SET_ASYNC_FORK": SET,
    "PR_ASYNC_FORK_OFF": 0, "PR_ASYNC_FORK_ON": 1, "PR_ASYNC_FORK_ONCE": 2,
    "PR_ASYNC_FORK_MODE": 0, "PR_ASYNC_FORK_LAST": 1, "PR_ASYNC_FORK_PROBE": 2,
    "CLONE_VM": CLONE_VM, "CLONE_VFORK": CLONE_VFORK,
    "CLONE_THREAD": CLONE_THREAD, "CLONE_ASYNC": CLONE_ASYNC,
}


def uncomment(s):
    return re.sub(r"/\*.*?\*/", "", s).strip()


def number(tok):
    tok = uncomment(tok)
    if tok in NAMES:
        return NAMES[tok]
    try:
        return int(tok, 0)
    except ValueError:
        pass
    if re.fullmatch(r"0[0-7]+", tok):
        return int(tok, 8)
    return None


def flags_value(expr):
    v = 0
    for part in uncomment(expr).split("|"):
        n = number(part.strip())
        v |= n or 0
    return v


def scan(s):
    """Split the text after "name(" into its arguments and the rest after
    the closing parenthesis (None if there is none)."""
    args, cur, depth, i, quoted = [], [], 0, 0, False
    while i < len(s):
        c = s[i]
        if quoted:
            cur.append(c)
            if c == "\\" and i + 1 < len(s):
                cur.append(s[i + 1])
                i += 2
                continue
            if c == "\"":
                quoted = False
        elif s.startswith("/*", i):
            j = s.find("*/", i + 2)
            j = len(s) if j < 0 else j + 2
            cur.append(s[i:j])
            i = j
            continue
        elif c == "\"":
            quoted = True
            cur.append(c)
        elif c in "([{":
            depth += 1
            cur.append(c)
        elif c in "}]" or (c == ")" and depth > 0):
            depth -= 1
            cur.append(c)
        elif c == ")":
            args.append("".join(cur).strip())
            return [a for a in args if a != ""], s[i + 1:]
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    args.append("".join(cur).strip())
    return [a for a in args if a != ""], None


def result(rest):
    """(value, errno name) of " = RET", (None, None) if unknown."""
    m = re.match(r"\s*=\s*(0x[0-9a-fA-F]+|-?\d+)(?:\s+([A-Z][A-Z0-9_]*))?", rest or "")
    if not m:
        return None, None
    v = int(m.group(1), 0)
    return v, (m.group(2) if v == -1 else None)


LINE = re.compile(r"^\s*(?:(\d+)\s+)?(?:\[pid\s+(\d+)\]\s+)?(.*)$")
calls, pending = [], {}
with open(sys.argv[1], errors="replace") as f:
    for idx, raw in enumerate(f):
        raw = raw.rstrip("\n")
        m = LINE.match(raw)
        pid = m.group(1) or m.group(2) or ""
        body = m.group(3)
        r = re.match(r"<\.\.\. (\w+) resumed>(.*)$", body)
        if r:
            if pid in pending and pending[pid][0] == r.group(1):
                name, text, first, line = pending.pop(pid)
                calls.append((first, pid, name, text + r.group(2), line + " ... " + body))
            continue
        e = re.match(r"(\w+)\((.*)$", body)
        if not e:
            continue
        text = e.group(2)
        u = re.search(r"\s*<unfinished \.\.\.>\s*$", text)
        if u:
            pending[pid] = (e.group(1), text[:u.start()], idx, raw)
        else:
            calls.append((idx, pid, e.group(1), text, raw))
calls.sort(key=lambda c: c[0])

fact = {"probes": 0, "probe_magic": 0, "sets": 0, "gets_other": 0,
        "clone3_async": 0, "clone3_raw": 0, "forks": 0, "forks_requested": 0,
        "before_probe": 0, "execs": 0, "sets_before_exec": 0}
probe_results, set_modes, get_args, exec_paths, execs = [], [], [], [], []
first_async = "none"
magic_seen = False
mode = {}
shown = []
events = []
for idx, pid, name, text, line in calls:
    args, rest = scan(text)
    val, err = result(rest)
    ret = err if err else ("?" if val is None else hex(val))
    kind = None
    if name == "prctl" and args:
        opt = number(args[0])
        arg2 = number(args[1]) if len(args) > 1 else None
        if opt == GET and arg2 == 2:
            kind = "probe"
            fact["probes"] += 1
            probe_results.append(ret)
            if val == MAGIC:
                fact["probe_magic"] += 1
                magic_seen = True
        elif opt == GET:
            kind = "get"
            fact["gets_other"] += 1
            get_args.append("%s:%s" % (arg2, ret))
            if arg2 == 0 and val is not None and val >= 0:
                mode[pid] = val
        elif opt == SET:
            kind = "set"
            fact["sets"] += 1
            set_modes.append("%s:%s" % (arg2, ret))
            if val == 0:
                mode[pid] = arg2
    elif name in ("clone", "clone3") and args:
        fl = re.search(r"flags=([^,}]*)", args[0])
        if fl:
            flags = flags_value(fl.group(1))
        elif name == "clone":
            flags = number(args[0]) or 0
        else:
            flags = None       # raw clone3: the flags are in memory
        if flags is None:
            fact["clone3_raw"] += 1
            kind = "clone3raw"
        elif name == "clone3" and flags & CLONE_ASYNC:
            kind = "clone3async"
            fact["clone3_async"] += 1
        if flags is not None and not flags & (CLONE_VM | CLONE_THREAD) and val is not None and val > 0:
            kind = kind or "fork"
            fact["forks"] += 1
            if mode.get(pid) in (1, 2):
                fact["forks_requested"] += 1
            if mode.get(pid) == 2:
                mode[pid] = 0
    elif name == "execve" and val == 0:
        kind = "execve"
        fact["execs"] += 1
        execs.append(idx)
        exec_paths.append(args[0] if args else "?")
    if kind in ("set", "get", "clone3async"):
        if first_async == "none":
            first_async = kind
        if not magic_seen:
            fact["before_probe"] += 1
    elif kind == "probe" and first_async == "none":
        first_async = "probe"
    if kind:
        events.append((idx, kind))
        shown.append((kind, line))
if len(execs) >= 2:
    fact["sets_before_exec"] = sum(1 for i, k in events
                                   if k == "set" and execs[0] < i < execs[-1])
fact["calls"] = len(calls)
fact["first_async"] = first_async
fact["probe_results"] = ",".join(probe_results) or "-"
fact["set_modes"] = ",".join(set_modes) or "-"
fact["get_args"] = ",".join(get_args) or "-"
fact["exec_paths"] = ",".join(exec_paths) or "-"
for k, v in fact.items():
    print("fact %s %s" % (k, v))
for kind, line in shown:
    print("call %s %s" % (kind, line))
'

declare -A A=()
# analyze STRACE_LOG: its facts into A (A[calls_KIND]: the lines).
analyze() {
	local line kv kind facts
	A=()
	if ! facts=$(python3 -c "$PARSER" "$1" 2>&1); then
		A[error]="parser failed on $1: $facts"
		return 0
	fi
	while IFS= read -r line; do
		case $line in
		"fact "*)
			kv=${line#fact }
			A[${kv%% *}]=${kv#* }
			;;
		"call "*)
			kv=${line#call }
			kind=${kv%% *}
			A[calls_$kind]+="${kv#* }"$'\n'
			;;
		esac
	done <<<"$facts"
}

# ---------------------------------------------------------------------------
# Checks.  Each sets SEEN (and SHOW, lines to quote) and returns 0 to pass.
SEEN="" SHOW=""
RUN_UP=yes
parsed() {
	if [ "$RUN_UP" != yes ]; then
		SEEN="the server never answered, nothing to check: $RUN_BGSAVE"
		return 1
	fi
	if [ -n "${A[error]:-}" ]; then
		SEEN=${A[error]}
		return 1
	fi
	if [ "${A[calls]:-0}" = 0 ]; then
		SEEN="no traced call at all in the strace log"
		return 1
	fi
}
ck_one_failing_probe() {
	parsed || return 1
	SEEN="${A[probes]} probe(s), answered ${A[probe_results]}"
	SHOW=${A[calls_probe]:-}
	[ "${A[probes]}" = 1 ] && [ "${A[probe_magic]}" = 0 ]
}
ck_no_set() {
	parsed || return 1
	SEEN="${A[sets]} PR_SET_ASYNC_FORK call(s) (mode:result ${A[set_modes]})"
	SHOW=${A[calls_set]:-}
	[ "${A[sets]}" = 0 ]
}
ck_no_other_get() {
	parsed || return 1
	SEEN="${A[gets_other]} PR_GET_ASYNC_FORK call(s) besides the probe (arg:result ${A[get_args]})"
	SHOW=${A[calls_get]:-}
	[ "${A[gets_other]}" = 0 ]
}
ck_no_clone3_async() {
	parsed || return 1
	SEEN="${A[clone3_async]} clone3 call(s) with CLONE_ASYNC, ${A[clone3_raw]} clone3 call(s) with undecoded flags"
	SHOW=${A[calls_clone3async]:-}${A[calls_clone3raw]:-}
	[ "${A[clone3_async]}" = 0 ] && [ "${A[clone3_raw]}" = 0 ]
}
# both CHECK1 CHECK2: both must pass; SEEN and SHOW of both.
both() {
	local rc=0 seen show
	"$1" || rc=1
	seen=$SEEN show=$SHOW
	"$2" || rc=1
	SEEN="$seen; $SEEN" SHOW=$show$SHOW
	return "$rc"
}
ck_failing_probe_no_set() { both ck_one_failing_probe ck_no_set; }
ck_no_other_async() { both ck_no_other_get ck_no_clone3_async; }
ck_forked() {
	parsed || return 1
	SEEN="${A[forks]} fork(s) (clone or clone3 without CLONE_VM/CLONE_THREAD)"
	[ "${A[forks]}" -ge 1 ]
}
ck_no_async_prctl() {
	parsed || return 1
	SEEN="${A[probes]} probe(s), ${A[gets_other]} other PR_GET_ASYNC_FORK, ${A[sets]} PR_SET_ASYNC_FORK"
	SHOW=${A[calls_probe]:-}${A[calls_get]:-}${A[calls_set]:-}
	[ "${A[probes]}" = 0 ] && [ "${A[gets_other]}" = 0 ] && [ "${A[sets]}" = 0 ]
}
ck_probe_first_answered() {
	parsed || return 1
	SEEN="first async fork call: ${A[first_async]}; ${A[probes]} probe(s), answered ${A[probe_results]}; ${A[before_probe]} async fork call(s) before an answered probe"
	SHOW=${A[calls_probe]:-}${A[calls_get]:-}${A[calls_set]:-}${A[calls_clone3async]:-}
	[ "${A[first_async]}" = probe ] && [ "${A[probes]}" = 1 ] &&
		[ "${A[probe_magic]}" = 1 ] && [ "${A[before_probe]}" = 0 ]
}
# Every fork asked to be async: PR_SET_ASYNC_FORK ONCE (2) before it, or
# the mode seen on (PR_GET_ASYNC_FORK MODE answered 1); no other SET mode;
# nothing of that before the probe was answered.
ck_once_before_fork() {
	local m
	parsed || return 1
	SEEN="${A[forks]} fork(s), ${A[forks_requested]} of them after PR_SET_ASYNC_FORK ONCE or with the mode on; SET mode:result ${A[set_modes]}; GET arg:result ${A[get_args]}; ${A[before_probe]} async fork call(s) before an answered probe"
	SHOW=${A[calls_probe]:-}${A[calls_get]:-}${A[calls_set]:-}${A[calls_fork]:-}
	[ "${A[forks]}" -ge 1 ] && [ "${A[forks_requested]}" = "${A[forks]}" ] &&
		[ "${A[before_probe]}" = 0 ] || return 1
	if [ "${A[set_modes]}" != - ]; then
		for m in ${A[set_modes]//,/ }; do
			[ "$m" = 2:0x0 ] || return 1
		done
	fi
}
# The launcher: probe answered, then one PR_SET_ASYNC_FORK ON (1) that
# succeeded, between its own exec and the program's.
ck_on_before_exec() {
	ck_probe_first_answered || return 1
	SEEN="PR_SET_ASYNC_FORK mode:result ${A[set_modes]}, ${A[sets_before_exec]} of them between the launcher's exec and the program's (${A[execs]} exec(s): ${A[exec_paths]})"
	SHOW=${A[calls_probe]:-}${A[calls_set]:-}${A[calls_execve]:-}
	[ "${A[set_modes]}" = 1:0x0 ] && [ "${A[sets_before_exec]}" = 1 ]
}
ck_not_run() {
	parsed || return 1
	SEEN="${A[execs]} successful execve(s): ${A[exec_paths]}"
	SHOW=${A[calls_execve]:-}
	[ "${A[execs]}" = 1 ]
}
ck_ran() {
	parsed || return 1
	SEEN="${A[execs]} successful execve(s): ${A[exec_paths]}"
	SHOW=${A[calls_execve]:-}
	[ "${A[execs]}" = 2 ]
}
# ck_equal WHAT EXPECTED VALUE
ck_equal() {
	SEEN="$1 $3, expected $2"
	[ "$3" = "$2" ]
}

# count FILE PATTERN: lines of FILE matching PATTERN (extended regexp).
count() { grep -c -E "$2" "$1" 2>/dev/null || true; }
lines() { grep -E "$2" "$1" 2>/dev/null || true; }
# ck_log_lines FILE PATTERN EXPECTED WHAT
ck_log_lines() {
	local c
	if [ "$RUN_UP" != yes ]; then
		SEEN="the server never answered, nothing to check: $RUN_BGSAVE"
		return 1
	fi
	c=$(count "$1" "$2")
	c=${c:-0}
	SEEN="$c $4 line(s), expected $3"
	SHOW=$(lines "$1" "$2")
	[ -z "$SHOW" ] || SHOW+=$'\n'
	[ "$c" = "$3" ]
}
# ck_launcher_lines FILE EXPECTED: the launcher's lines on its stderr
# (EXPECTED of them), every one of them its "lacks async fork" warning.
ck_launcher_lines() {
	local all warn
	if [ "$RUN_UP" != yes ]; then
		SEEN="the server never answered, nothing to check: $RUN_BGSAVE"
		return 1
	fi
	all=$(count "$1" '^async-fork-run: ')
	warn=$(count "$1" "^async-fork-run: warning: this kernel $warn_re")
	SEEN="${all:-0} async-fork-run line(s), ${warn:-0} of them its \"$warn_re\" warning; expected $2 and $2"
	SHOW=$(lines "$1" '^async-fork-run: ')
	[ -z "$SHOW" ] || SHOW+=$'\n'
	[ "${all:-0}" = "$2" ] && [ "${warn:-0}" = "$2" ]
}
ck_bgsave() {
	SEEN=$RUN_BGSAVE
	[ "$RUN_BGSAVE" = ok ]
}
warn_re='lacks async fork'

# ---------------------------------------------------------------------------
# TAP.
n=0
failed=0
# t DESCRIPTION CHECK [ARGS...]; with NOT_RUN set, a failure saying so;
# with SKIP_WHY set, a skip.
NOT_RUN="" SKIP_WHY=""
t() {
	local desc=$1
	shift
	n=$((n + 1))
	SEEN="" SHOW=""
	if [ -n "$SKIP_WHY" ]; then
		echo "ok $n $desc # SKIP $SKIP_WHY"
	elif [ -z "$NOT_RUN" ] && "$@"; then
		echo "ok $n $desc"
	else
		echo "not ok $n $desc"
		echo "#   seen: ${NOT_RUN:-$SEEN}"
		[ -z "$SHOW" ] || printf '%s' "$SHOW" | head -n 20 | sed 's/^/#     /'
		failed=1
	fi
}
# skip DESCRIPTION REASON
skip() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

# ---------------------------------------------------------------------------
# --self-test: the checks on made-up strace logs.
self_test() {
	local d fix
	d=$(mktemp -d "${TMPDIR:-/tmp}/abi-probe-selftest.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$d'" EXIT
	# Kernel without the series, fork-async yes (decoded, as strace 6.1
	# prints it): a bio thread, its name, the probe, one BGSAVE fork.
	cat >"$d/lacks-yes" <<-'EOF'
		5927  execve("/tmp/x/redis-server", ["/tmp/x/redis-server", "--port", "6391"], 0x7ffd8f4e2f28 /* 20 vars */) = 0
		5927  clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f03a5bff910, parent_tid=0x7f03a5bff910, exit_signal=0, stack=0x7f03a53ff000, stack_size=0x7fff00, tls=0x7f03a5bff6c0} <unfinished ...>
		5928  prctl(PR_SET_NAME, "bio_close_file, x") = 0
		5927  <... clone3 resumed> => {parent_tid=[5928]}, 88) = 5928
		5927  prctl(0x4741464b /* PR_??? */, 0x2, 0, 0, 0) = -1 EINVAL (Invalid argument)
		5927  clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f03a6513450) = 5936
		5936  +++ exited with 0 +++
		5927  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=5936, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---
	EOF
	grep -v 0x4741464b "$d/lacks-yes" >"$d/lacks-no"
	add() { # add BASE NAME LINE: BASE with LINE before its fork
		awk -v l="$3" '/clone\(/ && !done { print l; done = 1 } { print }' "$d/$1" >"$d/$2"
	}
	add lacks-yes set-hex '5927  prctl(0x5341464b /* PR_??? */, 0x2, 0, 0, 0) = -1 EINVAL (Invalid argument)'
	add lacks-yes set-name '5927  prctl(PR_SET_ASYNC_FORK, PR_ASYNC_FORK_ONCE, 0, 0, 0) = -1 EINVAL (Invalid argument)'
	add lacks-yes set-dec '5927  prctl(1396786763, 1, 0, 0, 0) = -1 EINVAL (Invalid argument)'
	add lacks-yes set-split '5927  prctl(0x5341464b /* PR_??? */, 0x1, 0, 0, 0 <unfinished ...>
5930  prctl(PR_SET_NAME, "bio_aof") = 0
5927  <... prctl resumed>) = -1 EINVAL (Invalid argument)'
	add lacks-no set-in-no '5927  prctl(0x5341464b, 0x2, 0, 0, 0) = -1 EINVAL (Invalid argument)'
	add lacks-yes probe-twice '5927  prctl(0x4741464b /* PR_??? */, 0x2, 0, 0, 0) = -1 EINVAL (Invalid argument)'
	add lacks-yes get-last '5927  prctl(0x4741464b /* PR_??? */, 0x1, 0, 0, 0) = -1 EINVAL (Invalid argument)'
	add lacks-yes get-mode-name '5927  prctl(PR_GET_ASYNC_FORK, PR_ASYNC_FORK_MODE, 0, 0, 0) = -1 EINVAL (Invalid argument)'
	add lacks-yes clone3-hex '5927  clone3({flags=0x1000000000000000 /* CLONE_??? */, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 88) = -1 EINVAL (Invalid argument)'
	add lacks-yes clone3-mixed '5927  clone3({flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|0x1000000000000000, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 88) = -1 EINVAL (Invalid argument)'
	add lacks-yes clone3-name '5927  clone3({flags=CLONE_ASYNC, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 88) = -1 EINVAL (Invalid argument)'
	add lacks-yes clone3-raw '5927  clone3(0x7ffe82c80a20, 0x58) = -1 EINVAL (Invalid argument)'
	grep -v 'clone(' "$d/lacks-yes" >"$d/no-fork"
	# Kernel with the series, fork-async yes (strace -e raw=all).
	cat >"$d/has-yes" <<-'EOF'
		700 execve(0x7ffc493ccc90, 0x7ffc493ce148, 0x7ffc493ce158) = 0
		700 clone3(0x7ffe82c80a20, 0x58 <unfinished ...>
		701 prctl(0xf, 0x55e0c8e52004, 0, 0x7f2e08c88bd3, 0) = 0
		700 <... clone3 resumed>) = 0x2bd
		700 prctl(0x4741464b, 0x2, 0, 0, 0) = 0x41464b31
		700 prctl(0x4741464b, 0, 0, 0, 0) = 0
		700 prctl(0x5341464b, 0x2, 0, 0, 0) = 0
		700 clone(0x1200011, 0, 0, 0x7f2e08bb2a10, 0) = 0x2c0
		700 prctl(0x4741464b, 0x1, 0, 0, 0) = 0x1
		704 +++ exited with 0 +++
	EOF
	sed '/0x5341464b/d; s/\(prctl(0x4741464b, 0, 0, 0, 0) = \)0/\10x1/' "$d/has-yes" >"$d/has-mode-on"
	sed '/0x5341464b/d' "$d/has-yes" >"$d/has-no-set"
	sed 's/prctl(0x5341464b, 0x2/prctl(0x5341464b, 0x1/' "$d/has-yes" >"$d/has-set-on"
	sed 's/= 0x41464b31/= -1 EINVAL (Invalid argument)/' "$d/has-yes" >"$d/has-probe-fails"
	awk '/0x4741464b, 0x2/ { s = $0; next } { print } /0x5341464b/ { print s }' "$d/has-yes" >"$d/has-set-first"
	grep -v 'execve\|0x4741464b, 0x1' "$d/has-yes" |
		awk '{ print } /0x4741464b, 0x2/ { print }' >"$d/has-probe-twice"
	# The launcher with the series (raw): probe, SET ON, exec.
	cat >"$d/has-run" <<-'EOF'
		800 execve(0x7ffc493ccc90, 0x7ffc493ce148, 0x7ffc493ce158) = 0
		800 prctl(0x4741464b, 0x2, 0, 0, 0) = 0x41464b31
		800 prctl(0x5341464b, 0x1, 0, 0, 0) = 0
		800 execve(0x7ffd12345678, 0x7ffd12345690, 0x7ffd123456a0) = 0
		800 +++ exited with 0 +++
	EOF
	sed '/0x5341464b/d' "$d/has-run" >"$d/has-run-no-set"
	sed 's/0x5341464b, 0x1/0x5341464b, 0x2/' "$d/has-run" >"$d/has-run-once"
	sed 's/0x5341464b, 0x1, 0, 0, 0) = 0/0x5341464b, 0x1, 0, 0, 0) = -1 EPERM (Operation not permitted)/' "$d/has-run" >"$d/has-run-set-fails"
	awk '/0x5341464b/ { s = $0; next } { print } /execve/ && ++e == 2 { print s }' "$d/has-run" >"$d/has-run-set-late"
	sed '4d' "$d/has-run" >"$d/has-run-not-run"
	# The launcher --strict without the series (decoded).
	cat >"$d/lacks-strict" <<-'EOF'
		900 execve("/tmp/b/async-fork-run", ["/tmp/b/async-fork-run", "--strict", "/bin/true"], 0x7ffcb527b1c0 /* 37 vars */) = 0
		900 prctl(0x4741464b /* PR_??? */, 0x2, 0, 0, 0) = -1 EINVAL (Invalid argument)
		900 +++ exited with 1 +++
	EOF
	sed '2a 900 execve("/bin/true", ["/bin/true"], 0x7ffcb527b1c0 /* 37 vars */) = 0' "$d/lacks-strict" >"$d/lacks-strict-ran"
	sed '2a 900 execve("/bin/true", ["/bin/true"], 0x7ffcb527b1c0 /* 37 vars */) = -1 ENOENT (No such file or directory)' "$d/lacks-strict" >"$d/lacks-strict-enoent"
	: >"$d/empty"
	printf '%s\n' "1:M 04 Dec 2026 21:57:39.747 # WARNING fork-async is enabled but this kernel lacks async fork (it needs Linux with the async-fork series): using plain fork()s." >"$d/warn-1"
	cat "$d/warn-1" "$d/warn-1" >"$d/warn-2"
	echo "async-fork-run: warning: this kernel lacks async fork (probe with PR_GET_ASYNC_FORK: Invalid argument); x runs with ordinary forks" >"$d/run-warn"
	cat "$d/run-warn" "$d/run-warn" >"$d/run-warn-2"
	{ cat "$d/run-warn"; echo "async-fork-run: PR_SET_ASYNC_FORK: Invalid argument"; } >"$d/run-warn-other"
	echo "async-fork-run: PR_SET_ASYNC_FORK: Invalid argument" >"$d/run-other"

	# expect pass|fail LOG CHECK
	expect() {
		local want=$1 log=$2 got what
		shift 2
		what=${*//$d\//}
		analyze "$d/$log"
		SEEN="" SHOW=""
		if "$@"; then got=pass; else got=fail; fi
		n=$((n + 1))
		if [ "$got" = "$want" ]; then
			echo "ok $n $what on $log: ${got/%ss/sse}s, as expected"
		else
			echo "not ok $n $what on $log: ${got/%ss/sse}s, expected it to ${want}"
			echo "#   seen: $SEEN"
			failed=1
		fi
	}
	echo "TAP version 13"
	expect pass lacks-yes ck_one_failing_probe
	expect fail probe-twice ck_one_failing_probe
	expect fail lacks-no ck_one_failing_probe
	expect fail has-yes ck_one_failing_probe
	expect fail empty ck_one_failing_probe
	expect pass lacks-yes ck_no_set
	expect pass set-split ck_one_failing_probe
	for fix in set-hex set-name set-dec set-split; do
		expect fail $fix ck_no_set
	done
	expect pass lacks-yes ck_no_other_get
	expect fail get-last ck_no_other_get
	expect fail get-mode-name ck_no_other_get
	expect pass lacks-yes ck_no_clone3_async
	for fix in clone3-hex clone3-mixed clone3-name clone3-raw; do
		expect fail $fix ck_no_clone3_async
	done
	expect pass lacks-yes ck_no_other_async
	expect fail get-last ck_no_other_async
	expect fail clone3-mixed ck_no_other_async
	expect pass lacks-yes ck_forked
	expect pass has-yes ck_forked
	expect fail no-fork ck_forked
	expect pass lacks-no ck_no_async_prctl
	expect fail lacks-yes ck_no_async_prctl
	expect fail set-in-no ck_no_async_prctl
	expect fail empty ck_no_async_prctl
	expect pass has-yes ck_probe_first_answered
	expect pass has-mode-on ck_probe_first_answered
	expect fail has-probe-fails ck_probe_first_answered
	expect fail has-set-first ck_probe_first_answered
	expect fail has-probe-twice ck_probe_first_answered
	expect fail lacks-yes ck_probe_first_answered
	expect pass has-yes ck_once_before_fork
	expect pass has-mode-on ck_once_before_fork
	expect fail has-no-set ck_once_before_fork
	expect fail has-set-on ck_once_before_fork
	expect fail has-probe-fails ck_once_before_fork
	expect fail no-fork ck_once_before_fork
	expect pass has-run ck_on_before_exec
	expect fail has-run-no-set ck_on_before_exec
	expect fail has-run-once ck_on_before_exec
	expect fail has-run-set-fails ck_on_before_exec
	expect fail has-run-set-late ck_on_before_exec
	expect fail lacks-strict ck_on_before_exec
	expect pass lacks-strict ck_not_run
	expect pass lacks-strict-enoent ck_not_run
	expect fail lacks-strict-ran ck_not_run
	expect fail has-run ck_not_run
	expect pass has-run ck_ran
	expect fail has-run-not-run ck_ran
	expect fail lacks-strict ck_ran
	expect pass lacks-strict ck_no_set
	expect pass lacks-strict ck_failing_probe_no_set
	expect fail has-run ck_failing_probe_no_set
	expect fail set-hex ck_failing_probe_no_set
	expect fail has-run ck_no_set
	expect pass lacks-yes ck_log_lines "$d/warn-1" "$warn_re" 1 warning
	expect fail lacks-yes ck_log_lines "$d/warn-2" "$warn_re" 1 warning
	expect fail lacks-yes ck_log_lines "$d/empty" "$warn_re" 1 warning
	expect pass lacks-yes ck_log_lines "$d/empty" "$warn_re" 0 warning
	expect fail lacks-yes ck_log_lines "$d/warn-1" "$warn_re" 0 warning
	expect pass lacks-yes ck_log_lines "$d/nonexistent" "$warn_re" 0 warning
	expect pass lacks-yes ck_launcher_lines "$d/run-warn" 1
	expect fail lacks-yes ck_launcher_lines "$d/run-warn-2" 1
	expect fail lacks-yes ck_launcher_lines "$d/run-warn-other" 1
	expect fail lacks-yes ck_launcher_lines "$d/run-other" 1
	expect fail lacks-yes ck_launcher_lines "$d/empty" 1
	expect pass lacks-yes ck_launcher_lines "$d/empty" 0
	expect fail lacks-yes ck_launcher_lines "$d/run-other" 0
	expect fail lacks-yes ck_equal 'latest_fork_async:' 0 1
	expect fail lacks-yes ck_equal 'exit status' 1 0
	echo "1..$n"
	exit $failed
}
[ "${1:-}" != --self-test ] || self_test

# ---------------------------------------------------------------------------
# The runs.
work=$(mktemp -d "${TMPDIR:-/tmp}/abi-probe-test.XXXXXX")
out=${ABI_PROBE_OUT:-}
[ -n "$out" ] || { [ -z "${GUEST_OUT:-}" ] || out=$GUEST_OUT/abi-probe; }
[ -n "$out" ] || out=$work/logs
mkdir -p "$out" "$work/run" "$work/bin"

spid="" rpid="" rport="" rdir=""
# Stop the server of the current run: SHUTDOWN NOSAVE, then SIGKILL to
# the server and strace if they are still there after TMO seconds.
stop_run() {
	local deadline=$((EPOCHSECONDS + TMO))
	[ -n "$spid" ] || return 0
	[ -z "$rport" ] || rcall "$rport" 10 SHUTDOWN NOSAVE >/dev/null 2>&1 || true
	while kill -0 "$spid" 2>/dev/null && [ "$EPOCHSECONDS" -lt "$deadline" ]; do
		sleep 0.1
	done
	if kill -0 "$spid" 2>/dev/null; then
		echo "#   strace $spid and its server ${rpid:-?} did not exit after SHUTDOWN; killing them"
		[ -z "$rpid" ] || kill -9 "$rpid" 2>/dev/null || true
		sleep 1
		kill -9 "$spid" 2>/dev/null || true
	fi
	wait "$spid" 2>/dev/null || true
	spid="" rpid="" rport=""
}
# Logs go to $out, by cp: in the guest $out is on 9p, and a process that
# writes there pins pages (the servers write to tmpfs only).
save_logs() {
	local name=$1 f
	[ -n "$rdir" ] && [ -d "$rdir" ] || return 0
	for f in strace.txt redis.log stderr; do
		[ ! -f "$rdir/$f" ] || cp "$rdir/$f" "$out/$name.$f" 2>/dev/null || true
	done
}
cleanup() {
	local rc=$?
	stop_run
	[ -z "$rdir" ] || save_logs "$(basename "$rdir")"
	if [ "$out" = "$work/logs" ]; then
		rm -rf "${work:?}/run" "${work:?}/bin"
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

if ! command -v strace >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "TAP version 13"
	echo "Bail out! strace and python3 are needed (scripts/deps.sh installs them)"
	exit 1
fi

# The kernel: has it the series?
probe=$(python3 -c '
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
u = ctypes.c_ulong
r = libc.prctl(ctypes.c_int(0x4741464b), u(2), u(0), u(0), u(0))
e = ctypes.get_errno()
if r == 0x41464b31:
    print("has answered 0x41464b31")
elif r == -1:
    print("lacks failed with %s" % errno.errorcode.get(e, e))
else:
    print("lacks answered %#x" % (r & 0xffffffff))
') || probe="lacks python3 ctypes probe failed"
kernel=${probe%% *}
probe=${probe#* }

# shellcheck disable=SC2054 # one strace argument
strace_opts=(-f -e trace=prctl,clone,clone3,execve)
[ "$kernel" = lacks ] || strace_opts+=(-e raw=all)

echo "TAP version 13"
if [ "$kernel" = lacks ]; then plan=22; else plan=16; fi
echo "1..$plan"
echo "# kernel $(uname -r): the probe prctl(PR_GET_ASYNC_FORK, PR_ASYNC_FORK_PROBE) $probe: the kernel $kernel the async fork series"
echo "# vm.async_fork: $(cat /proc/sys/vm/async_fork 2>/dev/null || echo missing); $(strace -V 2>/dev/null | head -n 1); strace ${strace_opts[*]}"
echo "# logs: $out"

need() { # need FILE: empty if FILE is an executable, else why not
	if [ ! -e "$1" ]; then
		echo "$1 is missing"
	elif [ ! -x "$1" ]; then
		echo "$1 is not executable"
	fi
}

vmstat_async() {
	awk '$1 ~ /^async_fork/ { printf "%s %s\n", $1, $2 }' /proc/vmstat 2>/dev/null || true
}
vmstat_delta() { # vmstat_delta BEFORE AFTER: the counters that changed
	awk 'NR == FNR { b[$1] = $2; next } $2 != b[$1] { printf " %s+%d", $1, $2 - b[$1] }' \
		<(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

# redis_run NAME CMD...: CMD (a redis-server, maybe after a launcher) on a
# free port in $work/run/NAME under strace; SET k v, one BGSAVE, waits for
# it, INFO, SHUTDOWN NOSAVE.  Sets RUN_BGSAVE ("ok", or what went wrong),
# RUN_LATEST, RUN_FORK_ASYNC (INFO fields, "-" when absent), RUN_VMSTAT.
RUN_BGSAVE="" RUN_LATEST="" RUN_FORK_ASYNC="" RUN_VMSTAT=""
redis_run() {
	local name=$1 deadline before
	shift
	rdir=$work/run/$name
	mkdir -p "$rdir"
	RUN_BGSAVE="" RUN_LATEST=- RUN_FORK_ASYNC=- RUN_VMSTAT="" RUN_UP=no
	rport=$(free_port)
	strace "${strace_opts[@]}" -o "$rdir/strace.txt" "$@" \
		--bind 127.0.0.1 --port "$rport" --dir "$rdir" --save '' --appendonly no \
		--daemonize no --logfile "$rdir/redis.log" >"$rdir/stdout" 2>"$rdir/stderr" &
	spid=$!
	deadline=$((EPOCHSECONDS + TMO))
	until rcall "$rport" 10 PING 2>/dev/null && [ "$R" = PONG ]; do
		if ! kill -0 "$spid" 2>/dev/null; then
			RUN_BGSAVE="the server exited before answering PING ($(tail -q -n 3 "$rdir/stderr" "$rdir/redis.log" 2>/dev/null | tr '\n' ' '))"
			break
		fi
		if [ "$EPOCHSECONDS" -ge "$deadline" ]; then
			RUN_BGSAVE="no PONG on port $rport within ${TMO}s: $R"
			break
		fi
		sleep 0.2
	done
	[ -n "$RUN_BGSAVE" ] || RUN_UP=yes
	if [ -z "$RUN_BGSAVE" ] && rcall "$rport" 10 INFO server && field process_id; then
		rpid=$F
	fi
	if [ -z "$RUN_BGSAVE" ]; then
		before=$(vmstat_async)
		rcall "$rport" 10 SET k v || true
		if ! rcall "$rport" 60 BGSAVE || [ "$R" != "Background saving started" ]; then
			RUN_BGSAVE="BGSAVE replied: $R"
		fi
	fi
	if [ -z "$RUN_BGSAVE" ]; then
		deadline=$((EPOCHSECONDS + TMO))
		while :; do
			if ! rcall "$rport" 10 INFO persistence; then
				RUN_BGSAVE="INFO persistence: $R"
				break
			fi
			field rdb_bgsave_in_progress || true
			[ "$F" != 0 ] || break
			if [ "$EPOCHSECONDS" -ge "$deadline" ]; then
				RUN_BGSAVE="rdb_bgsave_in_progress:$F after ${TMO}s"
				break
			fi
			sleep 0.1
		done
	fi
	if [ -z "$RUN_BGSAVE" ]; then
		field rdb_last_bgsave_status || F="(none)"
		RUN_BGSAVE=$F
		[ "$F" = ok ] || RUN_BGSAVE="rdb_last_bgsave_status:$F"
		if field fork_async; then RUN_FORK_ASYNC=$F; fi
		if rcall "$rport" 10 INFO stats && field latest_fork_async; then
			RUN_LATEST=$F
		fi
		RUN_VMSTAT=$(vmstat_delta "$before" "$(vmstat_async)")
	fi
	stop_run
	save_logs "$name"
	echo "# $name: BGSAVE $RUN_BGSAVE; fork_async:$RUN_FORK_ASYNC latest_fork_async:$RUN_LATEST${RUN_VMSTAT:+; /proc/vmstat:$RUN_VMSTAT}"
	analyze "$rdir/strace.txt"
	echo "# $name: strace: ${A[probes]:-?} probe(s) (${A[probe_results]:-?}), PR_SET_ASYNC_FORK ${A[set_modes]:-?}, other PR_GET_ASYNC_FORK ${A[get_args]:-?}, clone3 with CLONE_ASYNC ${A[clone3_async]:-?}, forks ${A[forks]:-?}"
}


# --- a and b: the patched server ---------------------------------------------
a_desc="patched redis-server, fork-async yes"
b_desc="patched redis-server, fork-async no"
if [ "$REDIS_CHECK" = no ]; then
	SKIP_WHY="REDIS_CHECK=no: the patched Redis is left out"
else
	NOT_RUN=$(need "$SERVER")
	if [ -n "$NOT_RUN" ]; then
		NOT_RUN="$NOT_RUN (run scripts/build-redis.sh, or set REDIS_SERVER): not run"
	else
		cp "$SERVER" "$work/bin/redis-server"
		echo "# patched server: $SERVER: $("$SERVER" --version 2>&1 | head -n 1)"
	fi
fi
run_ab() { # run_ab NAME FORK_ASYNC: the run unless it is skipped or cannot run
	if [ -z "$SKIP_WHY$NOT_RUN" ]; then
		redis_run "$1" "$work/bin/redis-server" --fork-async "$2"
		log=$rdir/redis.log
	fi
}
log=/nonexistent
if [ "$kernel" = lacks ]; then
	run_ab fork-async-yes yes
	t "$a_desc: BGSAVE succeeds" ck_bgsave
	t "$a_desc: exactly one probe prctl(PR_GET_ASYNC_FORK, PR_ASYNC_FORK_PROBE), failing" ck_one_failing_probe
	t "$a_desc: no PR_SET_ASYNC_FORK" ck_no_set
	t "$a_desc: no PR_GET_ASYNC_FORK other than the probe" ck_no_other_get
	t "$a_desc: no clone3 with CLONE_ASYNC (bit 60)" ck_no_clone3_async
	t "$a_desc: the BGSAVE forked" ck_forked
	t "$a_desc: exactly one \"$warn_re\" warning in its log" ck_log_lines "$log" "$warn_re" 1 "\"$warn_re\""
	t "$a_desc: latest_fork_async 0" ck_equal latest_fork_async: 0 "$RUN_LATEST"

	run_ab fork-async-no no
	t "$b_desc: BGSAVE succeeds" ck_bgsave
	t "$b_desc: no PR_GET_ASYNC_FORK or PR_SET_ASYNC_FORK at all" ck_no_async_prctl
	t "$b_desc: no clone3 with CLONE_ASYNC (bit 60)" ck_no_clone3_async
	t "$b_desc: the BGSAVE forked" ck_forked
	t "$b_desc: no \"$warn_re\" warning in its log" ck_log_lines "$log" "$warn_re" 0 "\"$warn_re\""
	t "$b_desc: latest_fork_async 0" ck_equal latest_fork_async: 0 "$RUN_LATEST"
else
	run_ab fork-async-yes yes
	t "$a_desc: BGSAVE succeeds" ck_bgsave
	t "$a_desc: the probe comes first and is answered, once" ck_probe_first_answered
	t "$a_desc: PR_SET_ASYNC_FORK ONCE before the BGSAVE fork (or the mode on already)" ck_once_before_fork
	t "$a_desc: the BGSAVE forked" ck_forked
	sysctl=$(cat /proc/sys/vm/async_fork 2>/dev/null || echo missing)
	if [ "$sysctl" = 0 ] && [ -z "$SKIP_WHY" ]; then
		skip "$a_desc: latest_fork_async 1" "vm.async_fork is 0: no fork is async"
	else
		t "$a_desc: latest_fork_async 1" ck_equal latest_fork_async: 1 "$RUN_LATEST"
	fi
	t "$a_desc: no \"$warn_re\" warning in its log" ck_log_lines "$log" "$warn_re" 0 "\"$warn_re\""

	run_ab fork-async-no no
	t "$b_desc: BGSAVE succeeds" ck_bgsave
	t "$b_desc: no PR_GET_ASYNC_FORK or PR_SET_ASYNC_FORK at all" ck_no_async_prctl
	t "$b_desc: the BGSAVE forked" ck_forked
	t "$b_desc: no \"$warn_re\" warning in its log" ck_log_lines "$log" "$warn_re" 0 "\"$warn_re\""
fi
SKIP_WHY=""

# --- c: Debian's server under the launcher -------------------------------------
c_desc="$(basename "$SYSTEM_SERVER") under async-fork-run"
NOT_RUN=$(need "$RUN")
[ -n "$NOT_RUN" ] || NOT_RUN=$(need "$SYSTEM_SERVER")
[ -z "$NOT_RUN" ] || NOT_RUN="$NOT_RUN: not run"
err=/nonexistent
if [ -z "$NOT_RUN" ]; then
	cp "$SYSTEM_SERVER" "$work/bin/system-redis-server"
	redis_run launcher "$RUN" "$work/bin/system-redis-server"
	err=$rdir/stderr
	# awk ends the last line even when the program did not (Valkey's
	# monotonic clock notice)
	awk '{ print "#   stderr: " $0 }' "$err"
fi
t "$c_desc: BGSAVE succeeds" ck_bgsave
if [ "$kernel" = lacks ]; then
	t "$c_desc: exactly one probe, failing" ck_one_failing_probe
	t "$c_desc: no PR_SET_ASYNC_FORK" ck_no_set
	t "$c_desc: no other PR_GET_ASYNC_FORK, no clone3 with CLONE_ASYNC" ck_no_other_async
	t "$c_desc: one line from the launcher on stderr, its warning" ck_launcher_lines "$err" 1
else
	t "$c_desc: the probe, answered, then PR_SET_ASYNC_FORK ON before the exec" ck_on_before_exec
	t "$c_desc: nothing from the launcher on stderr" ck_launcher_lines "$err" 0
fi

# --- d: async-fork-run --strict /bin/true --------------------------------------
d_desc="async-fork-run --strict /bin/true"
NOT_RUN=$(need "$RUN")
[ -z "$NOT_RUN" ] || NOT_RUN="$NOT_RUN: not run"
rc=-
if [ -z "$NOT_RUN" ]; then
	rdir=$work/run/strict
	mkdir -p "$rdir"
	RUN_UP=yes
	rc=0
	strace "${strace_opts[@]}" -o "$rdir/strace.txt" "$RUN" --strict /bin/true \
		>"$rdir/stdout" 2>"$rdir/stderr" </dev/null || rc=$?
	save_logs strict
	awk '{ print "#   stderr: " $0 }' "$rdir/stderr"
	analyze "$rdir/strace.txt"
	echo "# strict: exit status $rc; strace: ${A[probes]:-?} probe(s) (${A[probe_results]:-?}), PR_SET_ASYNC_FORK ${A[set_modes]:-?}, execs ${A[exec_paths]:-?}"
fi
if [ "$kernel" = lacks ]; then
	t "$d_desc: exits 1" ck_equal "exit status" 1 "$rc"
	t "$d_desc: one failing probe, no PR_SET_ASYNC_FORK" ck_failing_probe_no_set
	t "$d_desc: /bin/true not run" ck_not_run
else
	t "$d_desc: exits 0" ck_equal "exit status" 0 "$rc"
	t "$d_desc: the probe, answered, then PR_SET_ASYNC_FORK ON before the exec" ck_on_before_exec
	t "$d_desc: /bin/true run" ck_ran
fi
rdir=""

if [ "$n" != "$plan" ]; then
	echo "not ok $((n + 1)) abi-probe-test: $n checks run, $plan planned"
	failed=1
fi
exit $failed
