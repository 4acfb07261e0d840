#!/usr/bin/env bash
# Runs every suite — unit (cmocka, ASan), bpf (BPF_PROG_TEST_RUN, cmocka) and
# e2e (shell, network namespaces) — each speaking TAP, and ends with one line:
# "N passed, N failed, N skipped".
#   tests/run.sh [PATTERN]   run only suites whose path contains PATTERN
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PATTERN=${1:-}
LOGS=$BUILD/test-logs
export CMOCKA_MESSAGE_OUTPUT=TAP BUILD
# ASan's leak checker needs ptrace-like access that some sandboxes lack; UBSan
# findings must fail the test, not just print.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

rm -rf "$LOGS" && mkdir -p "$LOGS"
passed=0 failed=0 skipped=0
SUITE_PIDS=()

# ---- what a run must not leave behind -----------------------------------
# Daemons of this build, network namespaces and pin roots. Tests name their
# namespaces and pin roots after their own pid (fw-PID-..., fw-TAG-PID-...,
# flywall-test-PID...): what is new at the end and carries the pid of one of
# this run's suites was left by it. Other runs on the machine (and whatever
# was there before) are not blamed.
FLYWALL_EXE=$(realpath -m "$BUILD/flywall")
our_daemons() {
	local p exe
	for p in $(pgrep -x flywall); do
		exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
		[ "${exe% (deleted)}" = "$FLYWALL_EXE" ] && echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline")"
	done
}
netns_names() { ip netns list 2>/dev/null | awk '{ print "netns " $1 }'; }
pin_roots() { find /sys/fs/bpf -maxdepth 1 -name 'flywall*' 2>/dev/null | sed 's/^/pin root /'; }
leftovers() { our_daemons | sed 's/^/flywall process /'; netns_names; pin_roots; }
LEFT_BEFORE=$(leftovers | sort)
# Whether a name carries one of this run's suite pids as a whole number.
ours() {
	local pid
	[[ "$1" == "flywall process "* ]] && return 0
	for pid in "${SUITE_PIDS[@]}"; do
		[[ "$1" =~ [^0-9]$pid([^0-9]|$) ]] && return 0
	done
	return 1
}
check_leftovers() {
	local line left=()
	while IFS= read -r line; do
		[ -n "$line" ] && ours "$line" && left+=("$line")
	done < <(comm -13 <(printf '%s\n' "$LEFT_BEFORE") <(leftovers | sort))
	if [ "${#left[@]}" -eq 0 ]; then
		echo "ok     nothing left running or pinned (daemons of $FLYWALL_EXE, namespaces, pin roots)"
		return
	fi
	echo "  FAIL  left behind by this run:"
	printf '  | %s\n' "${left[@]}"
	echo "FAIL   leftovers: ${#left[@]} daemon(s), namespace(s) or pin root(s) still there"
	failed=$((failed + 1))
}

# Counts one suite's TAP results; a suite that exits non-zero without
# reporting a failure (a crash, a sanitizer abort) counts as one failure.
run_suite() {
	local name=$1; shift
	local log="$LOGS/${name//\//_}.log" rc line p=0 f=0 s=0
	local start=$SECONDS
	# In the foreground (Ctrl-C must reach it), its pid written first: the
	# shell execs the suite, which keeps that pid.
	bash -c 'echo $$ >"$0"; exec "$@"' "$LOGS/pid" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	SUITE_PIDS+=("$(cat "$LOGS/pid")")
	while IFS= read -r line; do
		case "$line" in
		*"# SKIP"*) s=$((s + 1)); echo "  skip  $name: ${line#*# SKIP}" ;;
		"ok "*) p=$((p + 1)) ;;
		"not ok "*) f=$((f + 1)); echo "  FAIL  $name: ${line#not ok }" ;;
		esac
	done < <(grep -E '^(not )?ok [0-9]+' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "  FAIL  $name: exited with status $rc"
	fi
	if [ "$f" -gt 0 ]; then
		echo "  ---- $log (last 40 lines) ----"
		tail -n 40 "$log" | sed 's/^/  | /'
	fi
	printf '%-6s %-32s %3d passed, %d failed, %d skipped (%ds)\n' \
		"$([ "$f" -eq 0 ] && echo ok || echo FAIL)" "$name" "$p" "$f" "$s" \
		$((SECONDS - start))
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

selected() { [ -z "$PATTERN" ] || [[ "$1" == *"$PATTERN"* ]]; }

for bin in "$BUILD"/tests/unit/test_* "$BUILD"/tests/bpf/test_*; do
	[ -x "$bin" ] || continue
	name=${bin#"$BUILD"/tests/}
	selected "$name" && run_suite "$name" "$bin"
done
for script in tests/e2e/test_*.sh; do
	[ -f "$script" ] || continue
	name=${script#tests/}
	selected "$name" && run_suite "$name" bash "$script"
done

check_leftovers
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
