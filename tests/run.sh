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

# Counts one suite's TAP results; a suite that exits non-zero without
# reporting a failure (a crash, a sanitizer abort) counts as one failure.
run_suite() {
	local name=$1; shift
	local log="$LOGS/${name//\//_}.log" rc line p=0 f=0 s=0
	local start=$SECONDS
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
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

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
