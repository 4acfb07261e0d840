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
	daemon_stop
	for ((i = ${#T_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${T_CLEANUPS[$i]}" >/dev/null 2>&1
	done
	lab_down
	rm -rf "$T_TMP"
	[ -n "${FW_PIN_ROOT:-}" ] && rm -rf "$FW_PIN_ROOT"
	echo "1..$T_NUM"
}
trap 'e2e_finish' EXIT
trap 'exit 130' INT TERM

# As ping_replies, after one ping that may be lost: a program that dropped
# everything dropped ARP too, and the peer must resolve the host again.
ping_replies_after_drop() { # count
	ping_replies 1 >/dev/null
	ping_replies "$@"
}

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

# ---- the daemon under test --------------------------------------------------
# It runs in the lab's firewall namespace (so its interface is eth0 and its API
# on 127.0.0.1:8080 is the namespace's own) with a pin root of its own.
FW_PIN_ROOT=/sys/fs/bpf/flywall-test-$$
DAEMON_PID=
DAEMON_LOG="$T_TMP/daemon.log"
EVENTS_LOG="$T_TMP/events.jsonl"

# flywall_fw ARGS...: the CLI in the firewall namespace, on the test's pins.
flywall_fw() { in_fw "$FLYWALL" "$@"; }

# Applies CONFIG once and exits (programs stay attached): exit status of the daemon.
daemon_oneshot() { # config [extra args]
	local config=$1; shift
	flywall_fw daemon -c "$config" --pin-root "$FW_PIN_ROOT" --oneshot "$@"
}

# Starts the daemon on CONFIG and waits until it runs (or fails to start).
daemon_start() { # config [extra args]
	local config=$1 i; shift
	# nsenter itself (not the in_fw function, which would fork a subshell)
	# so that $! is the daemon: nsenter execs it.
	nsenter --net="/var/run/netns/$LAB_FW" "$FLYWALL" daemon -c "$config" \
		--pin-root "$FW_PIN_ROOT" --events-log "$EVENTS_LOG" "$@" >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	# The spec's conntrack map alone (1,000,000 preallocated entries) takes
	# seconds to create: allow 30 s.
	for ((i = 0; i < 300; i++)); do
		grep -q "running (pid $DAEMON_PID)" "$DAEMON_LOG" 2>/dev/null && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "daemon did not start:" >&2
	cat "$DAEMON_LOG" >&2
	kill -9 "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	return 1
}

# daemon_start as a check (in this shell: DAEMON_PID must survive).
check_daemon_starts() { # description config [extra args]
	local desc=$1; shift
	if daemon_start "$@" 2>"$T_TMP/start.err"; then ok "$desc"; else
		not_ok "$desc" "$(cat "$T_TMP/start.err")"
	fi
}

daemon_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

# Sends SIGHUP and waits for the reload to finish. Says which way it went:
# 0 and the "applied ..." line on stdout when the new configuration is in
# force; 1 and the reload's log lines on stderr when the daemon kept the
# previous one; 2 when nothing was logged within 10 s (or no daemon runs).
daemon_reload() {
	local before i line
	before=$(grep -c "applied \|reload failed" "$DAEMON_LOG")
	kill -HUP "$DAEMON_PID" || { echo "no daemon to reload" >&2; return 2; }
	for ((i = 0; i < 100; i++)); do
		line=$(grep "applied \|reload failed" "$DAEMON_LOG" | tail -n +$((before + 1)) | head -n 1)
		case "$line" in
		"") sleep 0.1 ;;
		*"reload failed"*)
			# the reload's own lines say why
			sed -n "/SIGHUP: reloading/h; /SIGHUP: reloading/!H; \${x;p}" "$DAEMON_LOG" >&2
			return 1 ;;
		*) echo "$line"; return 0 ;;
		esac
	done
	echo "the daemon logged no reload within 10 s" >&2
	return 2
}

# The ids of the bpf_links pinned for the test, sorted, one line.
pinned_link_ids() {
	local f
	for f in "$FW_PIN_ROOT"/links/*; do
		[ -e "$f" ] && bpftool -j link show pinned "$f" | sed -n 's/.*"id":\([0-9]*\).*/\1/p'
	done | sort -n | tr '\n' ' '
}

# The API of the daemon in the firewall namespace.
api() { in_fw curl -s -m 5 "$@"; }
api_token() { cat "$T_TMP/api.token"; }
