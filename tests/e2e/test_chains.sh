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
# The configuration lists them out of order: the priorities decide.
config "$T_TMP/chain.hcl" "$(block tc t_last 30 0)" "$(block tc t_drop 20 1)"
check_daemon_starts "daemon attaches two tc members" "$T_TMP/chain.hcl"
check_eq "tcx order by priority: t_drop, t_last" "t_drop t_last" "$(chain_of t_last)"
check_eq "pings dropped by t_drop (0/4)" 0 "$(ping_replies 4)"
check_eq "t_drop saw 4, t_last (after it) none" "4 0" "$(counts t_drop t_last)"

config "$T_TMP/chain.hcl" "$(block tc t_last 30 0)" "$(block tc t_drop 20 1)" "$(block tc t_first 10 0)"
check "reload adds t_first (priority 10)" daemon_reload
check_eq "t_first goes before t_drop" "t_first t_drop t_last" "$(chain_of t_first)"
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
