#!/usr/bin/env bash
# Several programs on one interface, ordered by their blocks' priorities:
# tcx (the kernel's multi-program list) and XDP (Flywall's root program and
# its tail-call chain). Counters of tests/programs/chain_counter prove the
# order (a member after a dropping one counts nothing); the order survives a
# daemon restart (adoption) and a reload that swaps one member in place, with
# no packet slipping past a dropping member during the swap; a foreign XDP
# program on the interface is refused by id and name.
. "$(dirname "$0")/lib.sh"

lab_up_or_bail
P=$T_TMP/programs
mkdir -p "$P"
check "compile the chain member" clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"$BUILD" \
	-I"$E2E_ROOT/bpf/lib" -c "$E2E_ROOT/tests/programs/chain_counter.bpf.c" -o "$P/counter.o"

# block HOOK NAME PRIORITY DROP [STEP]: one chain member of the configuration.
block() {
	local extra=
	[ "$1" = tc ] && extra='direction = "ingress"'
	cat <<H
  $1 "$2" {
    program = "counter.o"
    interface = "eth0"
    $extra
    priority = $3
    args = { drop = $4, step = ${5:-1} }
  }
H
}
# config FILE BLOCK...: an ebpf block holding the members given (as text).
config() {
	local file=$1; shift
	{
		echo "ebpf {"
		echo "  program_dir = \"$P\""
		printf '%s\n' "$@"
		echo "}"
		echo "api {"
		echo "  listen = \"127.0.0.1:8080\""
		echo "  token_file = \"$T_TMP/api.token\""
		echo "}"
	} >"$file"
}
# How many echo requests member NAME counted.
seen() {
	bpftool -j map lookup pinned "$FW_PIN_ROOT/maps/$1/seen" key 0 0 0 0 2>/dev/null |
		python3 -c 'import json, sys; print(int.from_bytes(bytes(int(b, 16) for b in json.load(sys.stdin)["value"]), "little"))'
}
# The chain at NAME's hook point as the API shows it: "a b c" (foreign: #id).
chain_of() {
	api "http://127.0.0.1:8080/api/ebpf/programs" |
		jq -r --arg n "$1" '.[] | select(.name == $n) | [.chain[] | if .foreign then "#\(.id)" else .name end] | join(" ")'
}
counts() { local n out=; for n in "$@"; do out+="$(seen "$n") "; done; echo "${out% }"; }

# ---- tcx ----------------------------------------------------------------------
# A tcx program this daemon did not attach (another pin root's, standing in
# for Cilium's): the chain goes after it and the API names it as foreign.
OTHER_ROOT=$FW_PIN_ROOT-other
on_exit "in_fw $FLYWALL ebpf clean --pin-root $OTHER_ROOT; rm -rf $OTHER_ROOT"
config "$T_TMP/other.hcl" '  tc "other" {
    program = "counter.o"
    interface = "eth0"
  }'
check "a foreign tcx program is attached first" \
	flywall_fw daemon -c "$T_TMP/other.hcl" --pin-root "$OTHER_ROOT" --oneshot --no-api
other_id=$(bpftool -j link show pinned "$OTHER_ROOT/links/other" | jq -r .prog_id)

# The configuration lists them out of order: the priorities decide.
config "$T_TMP/chain.hcl" "$(block tc t_last 30 0)" "$(block tc t_drop 20 1)"
check_daemon_starts "daemon attaches two tc members" "$T_TMP/chain.hcl"
check_eq "tcx order: the foreign program, then by priority t_drop, t_last" \
	"#$other_id t_drop t_last" "$(chain_of t_last)"
check "remove the foreign tcx program" flywall_fw ebpf clean --pin-root "$OTHER_ROOT"
check_eq "the chain without it" "t_drop t_last" "$(chain_of t_last)"
check_eq "pings dropped by t_drop (0/4)" 0 "$(ping_replies 4)"
check_eq "t_drop saw 4, t_last (after it) none" "4 0" "$(counts t_drop t_last)"

config "$T_TMP/chain.hcl" "$(block tc t_last 30 0)" "$(block tc t_drop 20 1)" "$(block tc t_first 10 0)"
check "reload adds t_first (priority 10)" daemon_reload
check_eq "t_first goes before t_drop" "t_first t_drop t_last" "$(chain_of t_first)"
check_contains "ebpf status shows the tcx chain" "chain: t_first(10) -> t_drop(20) -> t_last(30)" \
	"$(flywall_fw ebpf status -c "$T_TMP/chain.hcl" 2>&1)"
ping_replies 3 >/dev/null
check_eq "t_first 3, t_drop 7, t_last 0" "3 7 0" "$(counts t_first t_drop t_last)"

links_before=$(pinned_link_ids)
daemon_stop
check_daemon_starts "restart adopts the chain" "$T_TMP/chain.hcl"
check_eq "same links after the restart" "$links_before" "$(pinned_link_ids)"
check_eq "same order after the restart" "t_first t_drop t_last" "$(chain_of t_first)"
check_contains "nothing reattached" "3 kept" "$(grep applied "$DAEMON_LOG" | tail -1)"

# Swap t_drop (a new step: a new program) while pings flood: it keeps its
# place, and no packet reaches t_last in between.
config "$T_TMP/chain.hcl" "$(block tc t_last 30 0)" "$(block tc t_drop 20 1 2)" "$(block tc t_first 10 0)"
in_peer ping -f -c 3000 -W 1 "$LAB_FW_IP" >/dev/null 2>&1 &
flood=$!
sleep 0.3
check "reload swaps t_drop under a ping flood" daemon_reload
wait "$flood"
n=$(seen t_first)
[ "$n" -ge 1000 ] && ok "the flood went through t_first ($n echo requests)" ||
	not_ok "the flood went through t_first" "t_first: $n"
check_eq "t_last saw nothing during the swap" 0 "$(seen t_last)"
check_eq "t_drop swapped in place, same links" "$links_before" "$(pinned_link_ids)"
check_eq "order kept after the swap" "t_first t_drop t_last" "$(chain_of t_drop)"
check_contains "one replaced, two kept" "1 replaced" "$(grep applied "$DAEMON_LOG" | tail -1)"

config "$T_TMP/chain.hcl" "$(block tc t_last 30 0)" "$(block tc t_drop 20 0)" "$(block tc t_first 10 0)"
check "reload makes t_drop pass" daemon_reload
check_eq "pings pass through the chain (3/3)" 3 "$(ping_replies_after_drop 3)"
[ "$(seen t_last)" -ge 3 ] && ok "t_last counted the pings t_drop passed" ||
	not_ok "t_last counted the pings t_drop passed" "t_last: $(seen t_last)"
daemon_stop
check "ebpf clean removes the tc chain" flywall_fw ebpf clean --pin-root "$FW_PIN_ROOT"
check_eq "no tcx program left on eth0" "" "$(in_fw bpftool -j net show dev eth0 | jq -r '.[0].tc[]?.id' 2>/dev/null)"

# ---- XDP ------------------------------------------------------------------------
cp "$BUILD/bpf/ddos_filter.o" "$P/"
ddos() { # priority
	cat <<H
  xdp "ddos_filter" {
    program = "ddos_filter.o"
    interface = "eth0"
    priority = $1
  }
H
}
xdp_prog() { in_fw ip -j link show dev eth0 | jq -r '.[0].xdp.prog.name // .[0].xdp.prog.id // ""'; }
block_peer() { # POST or DELETE
	api -X "$1" -H "Authorization: Bearer $(api_token)" -H 'Content-Type: application/json' \
		-d "{\"addresses\": [\"$LAB_PEER_IP\"]}" "http://127.0.0.1:8080/api/ebpf/blocklist"
}

# A foreign XDP program on the interface: refused, by id and name.
cat >"$P/foreign.bpf.c" <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("xdp") int foreign_pass(struct xdp_md *ctx) { return XDP_PASS; }
char LICENSE[] SEC("license") = "GPL";
C
check "compile a foreign XDP program" clang -O2 -g -target bpf -I"$BUILD" -c "$P/foreign.bpf.c" -o "$P/foreign.o"
check "attach it with ip link (not Flywall)" in_fw ip link set dev eth0 xdpgeneric obj "$P/foreign.o" sec xdp
foreign_id=$(in_fw ip -j link show dev eth0 | jq -r '.[0].xdp.prog.id')
config "$T_TMP/chain.hcl" "$(ddos 10)" "$(block xdp x_count 20 0)"
out=$(daemon_oneshot "$T_TMP/chain.hcl" 2>&1)
check_contains "the chain is refused, naming the foreign program" \
	"interface eth0 already has an XDP program (id $foreign_id, name foreign_pass) that Flywall did not attach" "$out"
check_eq "the foreign program still runs" "foreign_pass" "$(xdp_prog)"
check_eq "nothing of the chain is pinned" "" "$(find "$FW_PIN_ROOT/links" "$FW_PIN_ROOT/progs" -mindepth 1 2>/dev/null)"
check "remove the foreign program" in_fw ip link set dev eth0 xdpgeneric off

# ddos_filter first, then a counter: the counter sees only what ddos_filter passed.
check_daemon_starts "daemon attaches ddos_filter and x_count as an XDP chain" "$T_TMP/chain.hcl"
check_eq "the chain's root runs on eth0" "xdp_chain" "$(xdp_prog)"
check_eq "chain order: ddos_filter, x_count" "ddos_filter x_count" "$(chain_of x_count)"
check_eq "pings pass the chain (3/3)" 3 "$(ping_replies 3)"
check_eq "x_count saw them (3)" 3 "$(seen x_count)"
check_contains "block the peer in ddos_filter" '"added": 1' "$(block_peer POST)"
check_eq "pings dropped by ddos_filter (0/3)" 0 "$(ping_replies 3)"
check_eq "x_count after ddos_filter saw none of them" 3 "$(seen x_count)"
check_eq "its map 'seen', named in its BTF, is reported as counters by name" "echo_requests 3" \
	"$(api "http://127.0.0.1:8080/api/ebpf/programs/x_count/stats" |
		jq -r '"\(.counter_names.seen[0].counter) \(.counters.seen[0])"')"

config "$T_TMP/chain.hcl" "$(ddos 10)" "$(block xdp x_count 20 0)" "$(block xdp x_first 5 0)"
check "reload adds x_first (priority 5)" daemon_reload
check_eq "x_first runs before ddos_filter" "x_first ddos_filter x_count" "$(chain_of x_first)"
ping_replies 3 >/dev/null
check_eq "x_first saw the dropped pings, x_count none" "3 3" "$(counts x_first x_count)"

daemon_stop
check_daemon_starts "restart adopts the XDP chain" "$T_TMP/chain.hcl"
check_contains "nothing reattached" "3 kept" "$(grep applied "$DAEMON_LOG" | tail -1)"
check_eq "same order after the restart" "x_first ddos_filter x_count" "$(chain_of x_count)"
check_contains "ebpf status shows the chain" "chain: x_first(5) -> ddos_filter(10) -> x_count(20)" \
	"$(flywall_fw ebpf status -c "$T_TMP/chain.hcl" 2>&1)"

# A crash after a member joined the chain, before its record: the next start
# takes the unrecorded member out and attaches the block afresh, once.
daemon_stop
config "$T_TMP/chain.hcl" "$(ddos 10)" "$(block xdp x_count 20 0)" "$(block xdp x_first 5 0)" \
	"$(block xdp x_mid 15 0)"
FLYWALL_CRASH_AT=link-pinned daemon_oneshot "$T_TMP/chain.hcl" >/dev/null 2>&1
check_daemon_starts "restart after a crash while x_mid joined" "$T_TMP/chain.hcl"
check_eq "x_mid is in the chain once" "x_first ddos_filter x_mid x_count" "$(chain_of x_mid)"
config "$T_TMP/chain.hcl" "$(ddos 10)" "$(block xdp x_count 20 0)" "$(block xdp x_first 5 0)"
check "reload removes x_mid" daemon_reload
check_eq "the chain closes over it" "x_first ddos_filter x_count" "$(chain_of x_count)"

# x_first turns into a dropper, swapped in its slot under a ping flood: the
# members after it (ddos_filter would pass now) never see a packet.
check_contains "unblock the peer" '"deleted": 1' "$(block_peer DELETE)"
check_eq "pings pass again (3/3)" 3 "$(ping_replies 3)"
before=$(seen x_count)
config "$T_TMP/chain.hcl" "$(ddos 10)" "$(block xdp x_count 20 0)" "$(block xdp x_first 5 1)"
in_peer ping -f -c 3000 -W 1 "$LAB_FW_IP" >/dev/null 2>&1 &
flood=$!
sleep 0.3
check "reload swaps x_first under a ping flood" daemon_reload
wait "$flood"
check_contains "one replaced" "1 replaced" "$(grep applied "$DAEMON_LOG" | tail -1)"
check_eq "order kept after the swap" "x_first ddos_filter x_count" "$(chain_of x_count)"
after_swap=$(seen x_count)
check_eq "pings dropped by x_first now (0/3)" 0 "$(ping_replies 3)"
check_eq "x_count saw nothing after the swap" "$after_swap" "$(seen x_count)"
[ "$after_swap" -gt "$before" ] && ok "the flood reached x_count until the swap ($before -> $after_swap)" ||
	not_ok "the flood reached x_count until the swap" "$before -> $after_swap"

# A member that does not continue the chain can only be last.
config "$T_TMP/chain.hcl" "$(ddos 10)" "$(block xdp x_count 20 0)" "$(block xdp x_first 5 1)" \
	'  xdp "foreign_member" {
    program = "foreign.o"
    interface = "eth0"
    priority = 1
  }'
daemon_reload >/dev/null 2>"$T_TMP/reload.err"
check_contains "a member that does not continue the chain is refused before others" \
	"program foreign_member: its object does not continue the XDP chain" "$(cat "$T_TMP/reload.err")"

daemon_stop
check "ebpf clean removes the XDP chain" flywall_fw ebpf clean --pin-root "$FW_PIN_ROOT"
check_eq "no XDP program left on eth0" "" "$(xdp_prog)"
