#!/usr/bin/env bash
# Who may use the API, with the real daemon: a token file another user could
# read stops it from starting; on a UNIX socket (mode 0660, socket_group)
# only the group connects, and with read_auth a member still needs the token
# to read; the CLI reaches it with --api unix:PATH; the socket goes at stop.
. "$(dirname "$0")/lib.sh"

lab_up_or_bail
# Other users must reach the socket's directory (not list it).
chmod 711 "$T_TMP"
mkdir -m 755 "$T_TMP/run"
SOCK=$T_TMP/run/api.sock
TOKEN_FILE=$T_TMP/api.token
CONFIG=$T_TMP/flywall.hcl
# A group that user nobody (65534) is not in.
GROUP=4242
cat >"$CONFIG" <<HCL
api {
  listen       = "unix:$SOCK"
  token_file   = "$TOKEN_FILE"
  socket_group = "$GROUP"
  read_auth    = true
}
HCL

echo "hand-written-token" >"$TOKEN_FILE"
chmod 644 "$TOKEN_FILE"
if daemon_start "$CONFIG" 2>/dev/null; then
	not_ok "a token file others can read stops the daemon" "it started"
	daemon_stop
else
	check_contains "a token file others can read stops the daemon, saying how to fix it" \
		"API token file $TOKEN_FILE is open to other users (mode 0644); fix it with 'chmod 600 $TOKEN_FILE'" \
		"$(cat "$DAEMON_LOG")"
fi
chmod 600 "$TOKEN_FILE"
check_daemon_starts "daemon starts on a UNIX socket once the token file is private" "$CONFIG"
check "the listener is a UNIX socket" test -S "$SOCK"
check_eq "... of mode 0660 in socket_group" "660 $GROUP" "$(stat -c '%a %g' "$SOCK")"

out=$(flywall_fw ebpf programs --json --api "unix:$SOCK" --token-file "$TOKEN_FILE" 2>&1)
check_eq "the CLI reads over the socket (sending the token read_auth asks for)" "[]" \
	"$(tr -d ' \n' <<<"$out")"
out=$(in_fw curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
	-H "Authorization: Bearer hand-written-token" -H "Host: rebind.example" \
	http://rebind.example/api/ebpf/programs)
check_eq "no Host check on the socket (no web page reaches it)" 200 "$out"

# nobody, outside the group: cannot connect at all, and is told why.
out=$(in_fw setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$FLYWALL" ebpf programs --api "unix:$SOCK" 2>&1)
check_eq "a user outside the group cannot connect (exit 1)" 1 "$?"
check_contains "... and is told why" "flywall: permission denied on unix:$SOCK" "$out"

# A member of the group without the token: connected, refused by read_auth.
out=$(in_fw setpriv --reuid=65534 --regid=$GROUP --clear-groups \
	"$FLYWALL" ebpf programs --api "unix:$SOCK" --token-file "$TOKEN_FILE" 2>&1)
check_eq "a group member without the token is refused (exit 1)" 1 "$?"
check_contains "... by read_auth" "this API needs the token for reading too" "$out"

daemon_stop
check_fails "the socket is removed when the daemon stops" test -e "$SOCK"
