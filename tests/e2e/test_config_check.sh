#!/usr/bin/env bash
# `flywall config check` as a user runs it: the shipped examples check clean
# with a summary (or JSON); bad files exit 1 with every error, positioned and
# shown with a caret, on stderr; usage errors exit 2.
. "$(dirname "$0")/lib.sh"

cd "$E2E_ROOT" || exit 1

# run CMD...: sets RC, OUT (stdout) and ERR (stderr).
run() {
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}

# json_values FILE EXPR...: sets V to the values of Python expressions on the
# parsed JSON `j`, one per expression (one python3 start: it is slow).
json_values() {
	mapfile -t V < <(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
for e in sys.argv[2:]:
    print(eval(e))' "$@" 2>&1)
}

run "$FLYWALL" config check examples/flywall.hcl
check_eq "examples/flywall.hcl checks clean (exit 0)" 0 "$RC"
check_contains "summary names the file" "examples/flywall.hcl: OK" "$OUT"
check_contains "summary shows the xdp program and where it attaches" \
	"xdp           ddos_filter      eth0 (mode auto)" "$OUT"
check_contains "summary shows tc shaping in words" \
	"egress_shaper    eth0 egress, shaping 1 Gbit/s, burst 100 Mbit" "$OUT"
check_contains "summary shows the resolved object path" "/etc/flywall/ebpf/tcp_trace.o" "$OUT"
check_contains "summary shows map overrides" "maps: blocklist hash[100000], rate_limit percpu_array[1024]" "$OUT"
check_contains "summary shows args with their values" "args: max_pps=1000000, blocklist_size=100000" "$OUT"
check_contains "summary counts what would load" "6 programs would be loaded." "$OUT"
check_eq "nothing on stderr" "" "$ERR"

for snippet in examples/snippets/*.hcl; do
	run "$FLYWALL" config check "$snippet"
	check_eq "spec snippet $(basename "$snippet") checks clean" 0 "$RC"
done

run "$FLYWALL" config check --json examples/flywall.hcl
check_eq "--json exits 0" 0 "$RC"
printf '%s' "$OUT" >"$T_TMP/good.json"
json_values "$T_TMP/good.json" 'len(j["ebpf"]["programs"])' \
	'j["ebpf"]["programs"][2]["shaping"]["rate_bps"]' \
	'j["ebpf"]["programs"][3]["sockets"]' 'j["api"]["listen"]'
check_eq "--json lists six programs" 6 "${V[0]:-}"
check_eq "--json gives the shaping rate in bit/s" 1000000000 "${V[1]:-}"
check_eq "--json gives the socket services" "['dns', 'dhcp']" "${V[2]:-}"
check_eq "--json gives the api block" "127.0.0.1:8080" "${V[3]:-}"

run "$FLYWALL" config ch examples/flywall.hcl
check_eq "'config ch' selects check by prefix" 0 "$RC"

# A file with several mistakes: all of them, in order, each with its caret.
cat >"$T_TMP/bad.hcl" <<'EOF'
ebpf {
  map_size = 0
  xdp "ddos_filter" {
    program = "ddos_filter.o"
    interfce = "eth0"
    mode = "nativ"
  }
  tc "ddos_filter" {
    program = "x.o"
    interface = "eth0"
    direction = "inbound"
  }
}
EOF
run "$FLYWALL" config check "$T_TMP/bad.hcl"
check_eq "a bad file exits 1" 1 "$RC"
check_eq "nothing on stdout" "" "$OUT"
check_eq "every error, in file order" \
"$T_TMP/bad.hcl:2:14: error: map_size must be between 1 and 16777216; found 0
     2 |   map_size = 0
       |              ^
$T_TMP/bad.hcl:3:3: error: xdp \"ddos_filter\" is missing the required field \"interface\"
     3 |   xdp \"ddos_filter\" {
       |   ^
$T_TMP/bad.hcl:5:5: error: unknown field \"interfce\" in xdp \"ddos_filter\"; did you mean \"interface\"?
     5 |     interfce = \"eth0\"
       |     ^
$T_TMP/bad.hcl:6:12: error: unknown XDP mode \"nativ\"; did you mean \"native\"?
     6 |     mode = \"nativ\"
       |            ^
$T_TMP/bad.hcl:8:6: error: duplicate program name \"ddos_filter\"; xdp \"ddos_filter\" already uses it (names are shared by all block types)
     8 |   tc \"ddos_filter\" {
       |      ^
$T_TMP/bad.hcl:11:17: error: direction must be \"ingress\" or \"egress\"; found \"inbound\"
    11 |     direction = \"inbound\"
       |                 ^
$T_TMP/bad.hcl: 6 errors" "$ERR"

run "$FLYWALL" config check "$T_TMP/bad.hcl" --json
check_eq "--json on a bad file exits 1" 1 "$RC"
printf '%s' "$OUT" >"$T_TMP/bad.json"
json_values "$T_TMP/bad.json" '"%d %d %d" % (len(j["errors"]), j["errors"][0]["line"], j["errors"][0]["col"])' \
	'j["errors"][3]["message"]'
check_eq "--json lists the errors with line and col" "6 2 14" "${V[0]:-}"
check_eq "--json keeps the message apart from its position" \
	"unknown XDP mode \"nativ\"; did you mean \"native\"?" "${V[1]:-}"

# HCL's numbers are exact: a whole number written 1e3 or 1024.0 is an integer;
# a fraction is an error naming the field.
printf 'ebpf {\n  map_size = 1e3\n  xdp "f" {\n    program = "f.o"\n    interface = "eth0"\n    args = { max_pps = 1e6 }\n  }\n}\n' >"$T_TMP/exp.hcl"
run "$FLYWALL" config check --json "$T_TMP/exp.hcl"
check_eq "map_size = 1e3 checks clean" 0 "$RC"
printf '%s' "$OUT" >"$T_TMP/exp.json"
json_values "$T_TMP/exp.json" 'j["ebpf"]["map_size"]' 'repr(j["ebpf"]["programs"][0]["args"]["max_pps"])'
check_eq "map_size = 1e3 is 1000" 1000 "${V[0]:-}"
check_eq "args = { max_pps = 1e6 } is the integer 1000000" 1000000 "${V[1]:-}"
printf 'ebpf {\n  map_size = 1.5\n}\n' >"$T_TMP/frac.hcl"
run "$FLYWALL" config check "$T_TMP/frac.hcl"
check_eq "map_size = 1.5 exits 1" 1 "$RC"
check_contains "map_size = 1.5 names the field" \
	"frac.hcl:2:14: error: map_size must be a whole number; found 1.5" "$ERR"
printf 'ebpf {\n  map_size = 1024 * 2\n}\n' >"$T_TMP/expr.hcl"
run "$FLYWALL" config check "$T_TMP/expr.hcl"
check_contains "an expression is reported as one, with its position" \
	"expr.hcl:2:19: error: expressions are not supported in Flywall's HCL: found the operator \"*\"" "$ERR"

printf 'ebpf {\n  enabled = true\n  map_size = 1k\n}\n' >"$T_TMP/syntax.hcl"
run "$FLYWALL" config check "$T_TMP/syntax.hcl"
check_eq "a syntax error exits 1" 1 "$RC"
check_contains "a syntax error is positioned and says what is expected" \
	"syntax.hcl:3:14: error: unexpected 'k' after the number 1; a value with a unit, such as \"10gbit\", is a string and needs quotes" "$ERR"

run "$FLYWALL" config check "$T_TMP/missing.hcl"
check_eq "a missing file exits 1" 1 "$RC"
check_contains "a missing file says so" \
	"$T_TMP/missing.hcl: error: cannot read $T_TMP/missing.hcl: No such file or directory" "$ERR"

run "$FLYWALL" config check
check_eq "no FILE is a usage error (exit 2)" 2 "$RC"
check_contains "usage is printed" "Usage: flywall config check FILE [--json]" "$ERR"
run "$FLYWALL" config check --yaml examples/flywall.hcl
check_eq "an unknown option is a usage error (exit 2)" 2 "$RC"
check_contains "the unknown option is named" "unknown option '--yaml'" "$ERR"
run "$FLYWALL" config check examples/flywall.hcl examples/flywall.hcl
check_eq "two files are a usage error (exit 2)" 2 "$RC"
run "$FLYWALL" config frobnicate
check_eq "an unknown config command exits 2" 2 "$RC"
