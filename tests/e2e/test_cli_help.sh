#!/usr/bin/env bash
# The CLI explains itself: every group and command (walked from the command
# tables, through the generated completion) answers --help, -h and help with
# its usage and exit 0; unknown words exit 2 naming them; the bash completion
# offers sub-commands, options and paths; the man page renders without
# warnings and documents every command; values go into request URLs escaped;
# reals are printed at a fixed precision.
. "$(dirname "$0")/lib.sh"

# run CMD...: sets RC, OUT (stdout) and ERR (stderr).
run() {
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}

# ---- the completion script, generated and built -----------------------------
run "$FLYWALL" completion bash
check_eq "completion bash exits 0" 0 "$RC"
COMPLETION=$OUT
check_eq "make built \$(BUILD)/completion/flywall from the same tables" "$COMPLETION" \
	"$(cat "$BUILD/completion/flywall" 2>&1)"
# shellcheck disable=SC1090
. <(printf '%s\n' "$COMPLETION")
check_contains "complete -p: flywall is completed by _flywall" "complete -F _flywall flywall" \
	"$(complete -p flywall 2>&1)"

# ---- every group and command answers help --------------------------------------
# Walks the tables as the completion knows them: groups have subs.
PATHS=()
walk() {
	local path=$1 sub subs
	_flywall_spec "$path"
	subs=$subs
	PATHS+=("$path")
	for sub in $subs; do
		walk "${path:+$path }$sub"
	done
}
walk ""
check_contains "the walk finds nested commands" "ebpf blocklist import" "$(printf '%s\n' "${PATHS[@]}")"
bad=""
for path in "${PATHS[@]}"; do
	# shellcheck disable=SC2086
	for h in --help -h help; do
		run "$FLYWALL" $path $h
		if [ "$RC" != 0 ] || ! [[ "$OUT" =~ ^"Usage: flywall${path:+ $path}"( |$'\n') ]] || [ -n "$ERR" ]; then
			bad+="flywall $path $h: exit $RC, stdout: ${OUT%%$'\n'*}, stderr: $ERR"$'\n'
		fi
	done
done
check_eq "all ${#PATHS[@]} groups and commands answer --help, -h and help (usage on stdout, exit 0)" \
	"" "$bad"

run "$FLYWALL" ebpf test --help
check_contains "ebpf test --help shows its arguments" "repeat N" "$OUT"
run "$FLYWALL" ebpf blocklist --help
check_eq "ebpf blocklist --help exits 0" 0 "$RC"
check_contains "... listing its commands" "  import       block every address" "$OUT"
run "$FLYWALL" help ebpf blocklist add
check_contains "help PATH shows one command" "Usage: flywall ebpf blocklist add ADDRESS..." "$OUT"
run "$FLYWALL" ebpf load NAME OBJ --help --api unix:/nonexistent
check_eq "--help after other arguments still helps (exit 0)" 0 "$RC"

# ---- unknown words -----------------------------------------------------------------
run "$FLYWALL"
check_eq "no command: usage, exit 2" "2 Usage: flywall COMMAND [ARGS]" "$RC ${ERR%%$'\n'*}"
run "$FLYWALL" ebpf bogus
check_eq "unknown command: exit 2" 2 "$RC"
check_contains "... named, with where to look" "flywall ebpf: unknown command 'bogus' (try 'flywall ebpf help')" "$ERR"
run "$FLYWALL" ebpf blocklist frobnicate 1.2.3.4
check_contains "unknown sub-verb: named (exit $RC)" "flywall ebpf blocklist: unknown command 'frobnicate'" "$ERR"
run "$FLYWALL" ebpf status --bogus
check_eq "unknown option: exit 2" 2 "$RC"
check_contains "... named" "unknown option '--bogus'" "$ERR"
run "$FLYWALL" ebpf blocklist list 192.0.2.1 --api unix:/nonexistent
check_eq "list takes no address: exit 2" 2 "$RC"
check_contains "... the word named" "unexpected argument '192.0.2.1'" "$ERR"
run "$FLYWALL" ebpf blocklist del 192.0.2.1 expires 5 --api unix:/nonexistent
check_contains "del does not take expires (exit $RC)" "does not take 'expires'" "$ERR"
run "$FLYWALL" ebpf load p x.o colour blue --api unix:/nonexistent
check_contains "load: an unknown keyword is named (exit $RC)" "'colour'" "$ERR"
check_eq "... exit 2" 2 "$RC"
run "$FLYWALL" ebpf events count many --api unix:/nonexistent
check_contains "events count: the bad value is named (exit $RC)" "not 'many'" "$ERR"
run "$FLYWALL" ebpf feat --help
check_contains "a unique prefix selects a command" "Usage: flywall ebpf features" "$OUT"
run "$FLYWALL" ebpf ma
check_contains "an ambiguous prefix lists the candidates (exit $RC)" "'ma' is ambiguous: maps map" "$ERR"

# ---- completion ----------------------------------------------------------------------
# complete_words WORD...: what bash offers for the last word (COMPREPLY, sorted).
complete_words() {
	COMP_WORDS=(flywall "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_flywall
	[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' '
}
check_eq "completion: top-level commands" "--help completion config daemon ebpf help " \
	"$(complete_words "")"
check_eq "completion: a prefix" "ebpf " "$(complete_words e)"
check_eq "completion: nested groups" "--help add del delete help import list " \
	"$(complete_words ebpf blocklist "")"
check_eq "completion: through help" "ebpf " "$(complete_words help eb)"
check_eq "completion: a command's keywords and options" "--api " "$(complete_words ebpf load p x.o --a)"
check_contains "completion: keywords of load" "interface" "$(complete_words ebpf load p x.o "")"
check_eq "completion: nothing after a keyword that takes free text" "" \
	"$(complete_words ebpf load p x.o interface "")"
mkdir -p "$T_TMP/tree/sub" && touch "$T_TMP/tree/prog.bpf.c"
check_eq "completion: a file after -o" "$T_TMP/tree/prog.bpf.c $T_TMP/tree/sub " \
	"$(complete_words ebpf compile x.bpf.c -o "$T_TMP/tree/")"
check_eq "completion: only directories after -I" "$T_TMP/tree/sub " \
	"$(complete_words ebpf compile x.bpf.c -I "$T_TMP/tree/")"
check_eq "completion: compile's source is a path" "$T_TMP/tree/prog.bpf.c " \
	"$(complete_words ebpf compile "$T_TMP/tree/p")"
check_eq "completion: an unknown command completes nothing" "" "$(complete_words bogus "")"

# ---- the man page ----------------------------------------------------------------------
run "$FLYWALL" help --man
check_eq "help --man exits 0" 0 "$RC"
MAN=$OUT
check_eq "make built \$(BUILD)/man/flywall.8 from the same tables" "$MAN" \
	"$(cat "$BUILD/man/flywall.8" 2>&1)"
check_eq "groff -ww finds nothing to warn about" "" \
	"$(printf '%s\n' "$MAN" | groff -ww -z -man 2>&1)"
if command -v mandoc >/dev/null; then
	check_eq "mandoc -T lint finds nothing" "" \
		"$(printf '%s\n' "$MAN" | mandoc -T lint -W warning 2>&1)"
fi
if command -v man >/dev/null; then
	RENDERED=$(MANWIDTH=100 man -l "$BUILD/man/flywall.8" 2>"$T_TMP/man.err" | col -b)
	check_eq "man -l renders it without a message" "" "$(cat "$T_TMP/man.err")"
	missing=""
	for path in "${PATHS[@]}"; do
		_flywall_spec "$path"
		[ -z "$subs" ] && [ -n "$path" ] && [[ "$RENDERED" != *"flywall $path"* ]] && missing+="$path; "
	done
	check_eq "the man page documents every command" "" "$missing"
	check_contains "... with its arguments" "--pin-root DIR" "$RENDERED"
	check_contains "... and exit statuses" "EXIT STATUS" "$RENDERED"
fi

# ---- requests: escaped values, printed numbers ------------------------------------------
# A stand-in API on a UNIX socket that records each request line and answers
# every request with the same JSON (a line of NDJSON for listings).
cat >"$T_TMP/fake_api.py" <<'EOF'
import socket, sys, os
path, log = sys.argv[1], sys.argv[2]
body = b'{"name": "p", "avg_ns": 4469.4499999999998, "run_cnt": 10, "address": "192.0.2.1"}\n'
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
open(path + ".ready", "w").close()
while True:
    c, _ = s.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    with open(log, "a") as f:
        f.write(data.split(b"\r\n")[0].decode() + "\n")
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
              b"Connection: close\r\n\r\n" % len(body) + body)
    c.close()
EOF
SOCK=$T_TMP/api.sock
python3 "$T_TMP/fake_api.py" "$SOCK" "$T_TMP/requests" &
FAKE_PID=$!
on_exit "kill $FAKE_PID"
for _ in $(seq 50); do [ -e "$SOCK.ready" ] && break; sleep 0.1; done
export FLYWALL_TOKEN=test-token
run "$FLYWALL" ebpf programs 'a b/c?d' --api "unix:$SOCK"
run "$FLYWALL" ebpf blocklist list program 'x&y=z' --api "unix:$SOCK"
run "$FLYWALL" ebpf events since '1 2' count 1 --api "unix:$SOCK"
run "$FLYWALL" ebpf map dump 'ddos filter.blocklist' --api "unix:$SOCK"
run "$FLYWALL" ebpf stats 'p#1' --api "unix:$SOCK"
STATS_OUT=$OUT
run "$FLYWALL" ebpf stats p --json --api "unix:$SOCK"
STATS_JSON=$OUT
REQUESTS=$(cat "$T_TMP/requests" 2>&1)
check_contains "a program name is one escaped path segment" \
	"GET /api/ebpf/programs/a%20b%2Fc%3Fd HTTP/1.1" "$REQUESTS"
check_contains "a query value is escaped" \
	"GET /api/ebpf/blocklist?program=x%26y%3Dz&format=ndjson HTTP/1.1" "$REQUESTS"
check_contains "events since: escaped" "GET /api/ebpf/events?since=1%202 HTTP/1.1" "$REQUESTS"
check_contains "map dump: the name escaped" \
	"GET /api/ebpf/maps/ddos%20filter.blocklist/data?all=true&format=ndjson HTTP/1.1" "$REQUESTS"
check_contains "stats PROGRAM: escaped" "GET /api/ebpf/programs/p%231/stats HTTP/1.1" "$REQUESTS"
check_contains "avg_ns printed at a fixed precision" "avg_ns         4469.45" "$STATS_OUT"
check_contains "... in --json too" '"avg_ns": 4469.45,' "$STATS_JSON"
