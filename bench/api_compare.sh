#!/usr/bin/env bash
# Two flywall binaries side by side: the same API-only configuration, each
# daemon on its own port in one network namespace of this script's own,
# wrk -t2 -c50 -d5s GET /api/ebpf/programs against each in turn, ROUNDS times.
#   bench/api_compare.sh OLD_FLYWALL NEW_FLYWALL [ROUNDS]
# Needs root (namespaces, bpffs) and wrk. Leaves nothing behind.
set -u
OLD=$1 NEW=$2 ROUNDS=${3:-3}
NS=fw-apicmp-$$ T=$(mktemp -d)
PINS=/sys/fs/bpf/flywall-test-apicmp-$$
P1= P2=
cleanup() {
	[ -n "$P1" ] && kill "$P1" 2>/dev/null && wait "$P1" 2>/dev/null
	[ -n "$P2" ] && kill "$P2" 2>/dev/null && wait "$P2" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$PINS-old" "$PINS-new" "$T"
}
trap cleanup EXIT
ip netns add "$NS" && ip -n "$NS" link set lo up || exit 1
for v in old:8081 new:8082; do
	printf 'api {\n  listen = "127.0.0.1:%s"\n  token_file = "%s/%s.token"\n}\n' \
		"${v#*:}" "$T" "${v%:*}" >"$T/${v%:*}.hcl"
done
ip netns exec "$NS" "$OLD" daemon -c "$T/old.hcl" --pin-root "$PINS-old" --log-level error \
	>"$T/old.log" 2>&1 &
P1=$!
ip netns exec "$NS" "$NEW" daemon -c "$T/new.hcl" --pin-root "$PINS-new" --log-level error \
	>"$T/new.log" 2>&1 &
P2=$!
sleep 1
echo "round binary p50 p99 req/s socket-errors"
for i in $(seq "$ROUNDS"); do
	for v in old:8081 new:8082; do
		r=$(ip netns exec "$NS" wrk -t2 -c50 -d5s --latency \
			"http://127.0.0.1:${v#*:}/api/ebpf/programs" 2>&1)
		echo "$i ${v%:*} $(awk '$1=="50%"{print $2}' <<<"$r") $(awk '$1=="99%"{print $2}' <<<"$r")" \
		     "$(awk '/Requests\/sec/{print $2}' <<<"$r") $(grep -o 'Socket errors.*' <<<"$r" || echo 0)"
	done
done
