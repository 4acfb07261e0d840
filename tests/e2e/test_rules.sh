#!/usr/bin/env bash
# ddos_filter's rule plane on real traffic, driven as a user drives it (the
# daemon, its API and the CLI) between two namespaces: a `drop tcp dport 23`
# rule stops a connect while ICMP passes, and its counters say so; shadow
# mode lets the connect through and counts the would-drop; deleting the rule
# opens the port again; under-attack mode cuts a source it never saw, keeps
# an allowlisted one and one seen before the switch.
. "$(dirname "$0")/lib.sh"

lab_up_or_bail
P=$T_TMP/programs
mkdir -p "$P"
cp "$BUILD"/bpf/ddos_filter.o "$P/"
FEED=$T_TMP/firehol.netset
cat >"$FEED" <<'EOF'
# FireHOL-style netset: comments, CIDRs, plain addresses
#
10.77.0.8/30
10.77.0.12/30      # adjacent to the one above: merged into 10.77.0.8/29
10.77.0.9          ; covered by 10.77.0.8/30 (Spamhaus-style comment)
not-an-address
198.51.100.0/24
2001:db8:bad::/48
10.0.0.0/33
EOF
CONFIG=$T_TMP/flywall.hcl
cat >"$CONFIG" <<EOF
ebpf {
  enabled = true
  program_dir = "$P"
  xdp "ddos_filter" {
    program = "$P/ddos_filter.o"
    interface = "eth0"
    args = { track_sources = 1 }
    rule "no-discard" {
      action = "drop"
      proto = "udp"
      dport = 9
    }
    feed "firehol" {
      file = "$FEED"
      refresh = "1h"
    }
  }
}
api {
  listen = "127.0.0.1:8080"
  token_file = "$T_TMP/api.token"
}
EOF
# two more addresses on the peer: a stranger and a source seen before the attack
in_peer ip addr add 10.77.0.3/24 dev eth0
in_peer ip addr add 10.77.0.4/24 dev eth0
in_peer ip addr add 10.77.0.9/24 dev eth0
in_peer ip addr add 10.77.0.5/24 dev eth0

cli() { flywall_fw ebpf "$@" -c "$CONFIG"; }

# A TCP listener on port 23 in the firewall namespace (nsenter execs python:
# its pid is kept here).
nsenter --net="/var/run/netns/$LAB_FW" python3 -c '
import socket
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 23)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' >/dev/null 2>&1 &
LISTENER=$!
on_exit "kill $LISTENER"

# connects FROM: 0 when a TCP connect from the peer (source FROM) succeeds in 2 s
connects() {
	in_peer python3 -c '
import socket, sys
s = socket.socket(); s.settimeout(2); s.bind((sys.argv[1], 0))
try:
    s.connect(("10.77.0.1", 23))
except OSError:
    sys.exit(1)' "${1:-10.77.0.2}"
}
pings_from() { # source count
	in_peer ping -n -q -c "$2" -i 0.1 -W 1 -I "$1" "$LAB_FW_IP" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
rule_field() { # rule field
	cli rules list --json | jq -r ".rules[] | select(.name == \"$1\") | .$2"
}

# a faulty rule block: the error names file, line and column
sed 's/dport = 9/dport = 9\n      tcp_flags = "syn"/' "$CONFIG" >"$T_TMP/bad.hcl"
out=$("$FLYWALL" config check "$T_TMP/bad.hcl" 2>&1)
check_contains "config check names a faulty rule field by line and column" \
	"bad.hcl:12:19: error: rule \"no-discard\": tcp_flags: needs proto = \"tcp\"" "$out"

# started "from an SSH session" at 10.77.0.5: that address is allowlisted
SSH_CONNECTION="10.77.0.5 50000 10.77.0.1 22" check_daemon_starts "daemon starts with ddos_filter on eth0" "$CONFIG"
check_contains "the daemon allowlists the SSH session's address" \
	"allowlisted 10.77.0.5, the SSH session this daemon was started from" "$(cat "$DAEMON_LOG")"
sleep 0.5
check "a connect to port 23 works before any rule" connects
check_eq "the configuration's rule is live" "no-discard drop udp dport 9" \
	"$(cli rules list --json | jq -r '.rules[] | "\(.name) \(.rule)"')"

check "rules add no-telnet drop tcp dport 23" cli rules add no-telnet drop tcp dport 23
check_fails "the connect to port 23 is stopped" connects
check_eq "ICMP still passes" "3" "$(pings_from 10.77.0.2 3)"
dropped=$(rule_field no-telnet packets)
if [ "${dropped:-0}" -ge 1 ]; then ok "the rule counted the SYNs it dropped ($dropped)"
else not_ok "the rule counted the SYNs it dropped" "packets: $dropped"; fi
check_contains "rules list shows the rule" "drop tcp dport 23" "$(cli rules list)"

check_fails "a duplicate rule name is refused" cli rules add no-telnet drop udp
out=$(cli rules add bad drop icmp dport 80 2>&1)
check_contains "a bad rule is refused, naming the field" 'rule "bad": dport: ports exist for tcp and udp only' "$out"
check_eq "nothing changed by the refusals" "2" "$(cli rules list --json | jq .count)"

# ---- shadow mode -------------------------------------------------------------
check "mode shadow on" cli mode shadow on
check_contains "mode reports shadow on" "shadow on" "$(cli mode)"
check "in shadow mode the connect goes through" connects
would=$(rule_field no-telnet would_drop)
if [ "${would:-0}" -ge 1 ]; then ok "the rule counted would-drops ($would)"
else not_ok "the rule counted would-drops" "would_drop: $would"; fi
check "mode shadow off" cli mode shadow off
check_fails "out of shadow mode the rule drops again" connects

check "rules del no-telnet" cli rules del no-telnet
check "after the delete the connect works" connects
check_fails "deleting it twice fails" cli rules del no-telnet

# ---- under attack ------------------------------------------------------------
# ::ffff:10.77.0.2/128 in the allowlist (struct fw_lpm_key: prefixlen, addr)
check "allowlist 10.77.0.2" in_fw bpftool map update pinned "$FW_PIN_ROOT/maps/ddos_filter/allowlist" \
	key 128 0 0 0 0 0 0 0 0 0 0 0 0 0 0xff 0xff 10 77 0 2 value 0 0 0 0 0 0 0 0
check_eq "10.77.0.4 talks before the attack" "2" "$(pings_from 10.77.0.4 2)"
sleep 0.1
check "mode under-attack on (one call)" cli mode under-attack on
check_eq "status reports it" "1" "$(api http://127.0.0.1:8080/api/ebpf/programs/ddos_filter | jq .args.under_attack)"
check_contains "flywall ebpf status says so under ddos_filter" "modes: shadow off, under-attack ON" "$(cli status)"
check_eq "a source never seen (10.77.0.3) is cut" "0" "$(pings_from 10.77.0.3 3)"
check_eq "the allowlisted source passes" "3" "$(pings_from 10.77.0.2 3)"
check_eq "the source seen before the switch passes" "3" "$(pings_from 10.77.0.4 3)"
check_eq "the SSH session's address (never seen) passes" "3" "$(pings_from 10.77.0.5 3)"
check "mode under-attack off" cli mode under-attack off
check_eq "off again, the new source passes" "3" "$(pings_from 10.77.0.3 3)"
check_contains "and status says it is off" "modes: shadow off, under-attack off" "$(cli status)"

# ---- top talkers -------------------------------------------------------------
# 10.77.0.3 floods (ping -f), 10.77.0.2 pings gently, while top counts 2 s
nsenter --net="/var/run/netns/$LAB_PEER" ping -f -q -w 3 -I 10.77.0.3 "$LAB_FW_IP" >/dev/null 2>&1 &
FLOOD=$!
nsenter --net="/var/run/netns/$LAB_PEER" ping -q -i 0.2 -w 3 -I 10.77.0.2 "$LAB_FW_IP" >/dev/null 2>&1 &
GENTLE=$!
sleep 0.3
top=$(cli top --interval 2 --json)
wait $FLOOD $GENTLE
check_eq "top names the flooding peer first" "10.77.0.3" "$(jq -r '.talkers[0].address' <<<"$top")"
check_contains "top's table lists the gentle peer too" "10.77.0.2" "$(cli top --interval 0)"

# automatic blocking: over 200 packets/s -> blocklisted for 60 s
check "ebpf update auto_block_pps=200 auto_block_seconds=60" \
	cli update ddos_filter auto_block_pps=200 auto_block_seconds=60
nsenter --net="/var/run/netns/$LAB_PEER" ping -f -q -w 4 -I 10.77.0.3 "$LAB_FW_IP" >/dev/null 2>&1 &
FLOOD=$!
nsenter --net="/var/run/netns/$LAB_PEER" ping -q -i 0.2 -w 4 -I 10.77.0.2 "$LAB_FW_IP" >/dev/null 2>&1 &
GENTLE=$!
wait $FLOOD $GENTLE
check_contains "the flooding peer was auto-blocked" "auto-blocked 10.77.0.3 for 60 s" "$(cat "$DAEMON_LOG")"
check_contains "it is in the blocklist, with its expiry" "10.77.0.3" "$(cli blocklist list)"
check_eq "the gentle peer was not" "" "$(grep 'auto-blocked 10.77.0.2' "$DAEMON_LOG")"
check_eq "and an auto_block event says so" "10.77.0.3 60" \
	"$(api "http://127.0.0.1:8080/api/ebpf/rates?events_since=0" |
		jq -r '[.events[] | select(.type == "auto_block")][0] | "\(.address) \(.expires_in)"')"
check "auto_block_pps=0 turns it off" cli update ddos_filter auto_block_pps=0

# ---- feeds -------------------------------------------------------------------
feeds=$(cli feeds list --json)
check_eq "the feed loaded: 5 entries, 2 bad lines, merged to 3 prefixes" "5 2 3" \
	"$(jq -r '.feeds[0] | "\(.entries) \(.bad_lines) \(.prefixes)"' <<<"$feeds")"
check_eq "bad lines reported by number" "6 9" "$(jq -r '[.feeds[0].errors[].line] | join(" ")' <<<"$feeds")"
check_contains "feeds list shows a bad line" 'line 6: not an address or CIDR: "not-an-address' "$(cli feeds list)"
check_eq "an address inside a listed CIDR (10.77.0.9) is blocked" "0" "$(pings_from 10.77.0.9 3)"
check_eq "an address outside (10.77.0.2) passes" "3" "$(pings_from 10.77.0.2 3)"
hits=$(cli feeds list --json | jq '.feeds[0].hits')
if [ "${hits:-0}" -ge 3 ]; then ok "the feed counted its hits ($hits)"
else not_ok "the feed counted its hits" "hits: $hits"; fi
echo "garbage" >"$FEED"; echo "more garbage" >>"$FEED"
out=$(cli feeds reload 2>&1)
check_contains "a feed that fails to parse is reported" "kept the previous version" "$out"
check_eq "and the previous version stays loaded" "0" "$(pings_from 10.77.0.9 2)"
printf '10.77.0.64/26\n' >"$FEED"
check "feeds reload" cli feeds reload
check_eq "after a good reload 10.77.0.9 passes again" "2" "$(pings_from 10.77.0.9 2)"
# A changed file is read again without being asked (the daemon checks every second).
printf '10.77.0.9/32\n10.77.0.64/26\n' >"$FEED"
for _ in $(seq 50); do
	[ "$(cli feeds list --json | jq '.feeds[0].prefixes')" = 2 ] && break
	sleep 0.1
done
check_eq "a changed feed file is read again within 5 s, unasked" "2" \
	"$(cli feeds list --json | jq '.feeds[0].prefixes')"
check_eq "and its new address (10.77.0.9) is blocked" "0" "$(pings_from 10.77.0.9 2)"

# ---- capture -----------------------------------------------------------------
check "rules add no-telnet again" cli rules add no-telnet drop tcp dport 23
nsenter --net="/var/run/netns/$LAB_FW" "$FLYWALL" ebpf capture ddos_filter -w "$T_TMP/drops.pcap" \
	count 2 timeout 15 --pin-root "$FW_PIN_ROOT" -c "$CONFIG" >"$T_TMP/capture.out" 2>&1 &
CAPTURE=$!
sleep 1
# from 10.77.0.4: 10.77.0.2 is allowlisted by now, and the allowlist wins
check_fails "a connect from 10.77.0.4 to port 23 is dropped" connects 10.77.0.4
wait $CAPTURE
check_contains "capture wrote the dropped SYNs" "captured 2 dropped packets" "$(cat "$T_TMP/capture.out")"
pcap=$(tcpdump -nn -r "$T_TMP/drops.pcap" 2>&1)
check_contains "the capture opens with tcpdump: the SYN to port 23" "10.77.0.4" "$pcap"
check_contains "and tcpdump reads the TCP header" "10.77.0.1.23: Flags [S]" "$pcap"
check_eq "the drop reason is recorded beside each packet" "1 rule
2 rule" "$(cat "$T_TMP/drops.pcap.reasons")"
check_eq "capture is off again" "0" "$(api http://127.0.0.1:8080/api/ebpf/programs/ddos_filter | jq .args.capture_sample)"
