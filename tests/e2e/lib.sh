#!/usr/bin/env bash
# Shared by the e2e tests: TAP output, the namespace lab, and the daemon under
# test. Each test script sources this; everything it creates is removed on
# exit, also when a check fails or the script is killed.
set -u
E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$E2E_ROOT/$BUILD" ;; esac
FLYWALL="$BUILD/flywall"
# shellcheck source=../../scripts/lab.sh
. "$E2E_ROOT/scripts/lab.sh"

T_NUM=0
T_FAILED=0
T_CLEANUPS=()
T_TMP=$(mktemp -d /tmp/flywall-e2e.XXXXXX)

ok() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1"; }
not_ok() {
	T_NUM=$((T_NUM + 1)) T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_NUM - $1"
	[ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/# /'
	return 0
}
skip() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM # SKIP $1: $2"; }

# check DESC CMD...: passes when CMD exits 0; its output is shown on failure.
check() {
	local desc=$1 out; shift
	if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}
# check_fails DESC CMD...: passes when CMD exits non-zero.
check_fails() {
	local desc=$1 out; shift
	if out=$("$@" 2>&1); then not_ok "$desc" "unexpectedly succeeded: $out"; else ok "$desc"; fi
}
# check_eq DESC EXPECTED ACTUAL
check_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2
actual:   $3"; fi
}
# check_contains DESC NEEDLE HAYSTACK
check_contains() {
	if [[ "$3" == *"$2"* ]]; then ok "$1"; else not_ok "$1" "missing: $2
in: $3"; fi
}

# Registers a command to run at exit, in reverse order of registration.
on_exit() { T_CLEANUPS+=("$*"); }

e2e_finish() {
	local i
	for ((i = ${#T_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${T_CLEANUPS[$i]}" >/dev/null 2>&1
	done
	lab_down
	rm -rf "$T_TMP"
	echo "1..$T_NUM"
}
trap 'e2e_finish' EXIT
trap 'exit 130' INT TERM

# Brings the lab up in this shell (not a subshell: its names must survive),
# or stops the script with a failure.
lab_up_or_bail() {
	if lab_up "$@"; then ok "lab comes up ($LAB_FW, $LAB_PEER)"; else
		not_ok "lab comes up"
		exit 1
	fi
}

# Counts the replies of N pings from the peer to the firewall host.
ping_replies() { # count [ping args...]
	local n=$1; shift
	in_peer ping -n -q -c "$n" -i 0.1 -W 1 "$@" "$LAB_FW_IP" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
