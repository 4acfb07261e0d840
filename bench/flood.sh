#!/usr/bin/env bash
# Packets per second a receiver keeps up with under a flood of real frames,
# ddos_filter under a running `flywall daemon` beside the bare XDP floor,
# xdp-filter and nftables; and ingress_filter (TC) under a SYN flood to a
# closed port and under the packets of 100,000 established flows, beside a
# bare TC drop, XDP_PASS alone and nftables `ct state` rules. Ratios measured
# side by side in one run (about 4-5 minutes).
#
#   BUILD=build bench/flood.sh            (`make bench` runs it)
#   FLOOD_ROUNDS=3 FLOOD_SECONDS=2 FLOOD_RESULTS=bench/RESULTS.md FLOOD_NOTE=text
#   FLOOD_DDOS_OBJ=path/to/ddos_filter.o FLOOD_INGRESS_OBJ=path/to/ingress_filter.o
#                                          (other builds of them, to compare)
#   FLOOD_CASES="floor daemon"             (some of: floor pass daemon xdp_filter nft
#                                          conntrack; default all of them)
#   FLOOD_CASES=rules                      ddos_filter's rule plane instead: 0, 10 and
#                                          10,000 rules under one daemon (see round_rules;
#                                          results to bench/RESULTS-rules.md)
#
# The lab: two network namespaces made for this run, joined by one veth pair.
# In the sender's, bench/flood/flood_gen sends 64-byte UDP (or TCP) frames with
# BPF_PROG_TEST_RUN in live-frames mode (XDP_TX out of its end of the pair);
# the receiver's end runs the program under test in native XDP. Each receiver
# is measured by the receiving interface's own counter (rx_packets, which
# veth counts for every frame its XDP program sees) over a fixed window, not
# by what the generator claims to have sent. The receivers are measured in
# turn, round after round; the table gives each one's median and its ratio to
# the bare program of the same traffic.
#
# Sender and receiver share one CPU (veth runs the receiver's NAPI where the
# frame was sent), so a Mpps figure is 1 / (send + receive cost): compare
# ratios, and rerun on a quiet machine for figures worth quoting. Beside the
# wall rate, each case gets a rate per CPU-second of the flood (the
# generator's and the ksoftirqd threads' run time), which holds better on a
# busy machine; but when the generator is preempted, softirq work can be
# charged to whatever task the CPU runs then, so under heavy load it too
# can read high in some rounds: take the medians.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
CLANG=${CLANG:-clang}
CC=${CC:-gcc}
ROUNDS=${FLOOD_ROUNDS:-3}
SECONDS_PER_RUN=${FLOOD_SECONDS:-2}
CASES=" ${FLOOD_CASES:-floor pass daemon xdp_filter nft conntrack} "
if [ "$CASES" = " rules " ]; then
	RESULTS=${FLOOD_RESULTS:-$ROOT/bench/RESULTS-rules.md}
else
	RESULTS=${FLOOD_RESULTS:-$ROOT/bench/RESULTS.md}
fi
FLYWALL=$BUILD/flywall
DDOS_OBJ=${FLOOD_DDOS_OBJ:-$BUILD/bpf/ddos_filter.o}
INGRESS_OBJ=${FLOOD_INGRESS_OBJ:-$BUILD/bpf/ingress_filter.o}

ATTACKER=10.66.0.1      # blocklisted
HEAVY=10.66.0.2         # not listed, far over max_pps
RANDOM_FIRST=10.1.0.0   # 100,000 random sources from here, none listed
RANDOM_COUNT=100000
LISTED_FIRST=100.0.0.0  # 100,000 random sources from here: 391 of the rules' /24s
UNLISTED_FIRST=10.16.0.0 # 100,000 random sources from here: outside the rules' 10.0.0.0/14
# A random source's slot sees (rate / 1024) pps, well below max_pps: all
# pass. The heavy source gets max_pps through to the stack, where a packet
# costs tens of times a drop: kept small beside the flood.
MAX_PPS=5000
RX_IP=10.99.0.1
TX_IP=10.99.0.2

ID=$$
RX=flood-$ID-rx
TX=flood-$ID-tx
PIN=/sys/fs/bpf/flywall-flood-$ID
TMP=$(mktemp -d /tmp/flywall-flood.XXXXXX)
OUT=$BUILD/flood
DAEMON_PID=
GEN_PID=
SAMPLES=$TMP/samples
SOFTIRQD=$(pgrep -x 'ksoftirqd/[0-9]*' | tr '\n' ' ')

die() { echo "flood: $*" >&2; exit 1; }

cleanup() {
	[ -n "$GEN_PID" ] && kill "$GEN_PID" 2>/dev/null && wait "$GEN_PID" 2>/dev/null
	[ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	ip netns del "$RX" 2>/dev/null
	ip netns del "$TX" 2>/dev/null
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# nsenter, not `ip netns exec`, which remounts /sys and hides bpffs.
in_rx() { nsenter --net="/var/run/netns/$RX" "$@"; }
in_tx() { nsenter --net="/var/run/netns/$TX" "$@"; }

build_tools() {
	[ -x "$FLYWALL" ] && [ -f "$DDOS_OBJ" ] && [ -f "$INGRESS_OBJ" ] || die "build first: make all"
	[ -f "$BUILD/vmlinux.h" ] || die "missing $BUILD/vmlinux.h: make all"
	mkdir -p "$OUT"
	"$CLANG" -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -I"$BUILD" \
		-c bench/bpf/flood_tx.bpf.c -o "$OUT/flood_tx.o" &&
	"$CLANG" -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -I"$BUILD" \
		-c bench/bpf/flood_rx.bpf.c -o "$OUT/flood_rx.o" &&
	"$CC" -O2 -g -Wall -Wextra -std=gnu11 -o "$OUT/flood_gen" bench/flood/flood_gen.c \
		-lbpf -lelf -lz &&
	"$CC" -O2 -g -Wall -Wextra -std=gnu11 -Iinclude -o "$OUT/ct_fill" bench/flood/ct_fill.c \
		-lbpf -lelf -lz || die "cannot build the generator"
}

lab_up() {
	ip netns add "$RX" && ip netns add "$TX" &&
	ip -n "$RX" link add eth0 type veth peer name eth0 netns "$TX" &&
	ip -n "$RX" link set lo up && ip -n "$TX" link set lo up &&
	ip -n "$RX" addr add "$RX_IP/24" dev eth0 && ip -n "$TX" addr add "$TX_IP/24" dev eth0 &&
	ip -n "$RX" link set eth0 up && ip -n "$TX" link set eth0 up || die "cannot build the lab"
	RX_MAC=$(ip -n "$RX" -j link show eth0 | grep -o '"address":"[^"]*"' | cut -d'"' -f4)
	mkdir -p "$PIN/bare" && bpftool prog loadall "$OUT/flood_rx.o" "$PIN/bare" ||
		die "cannot load the bare receivers"
}

rx_packets() {
	ip -n "$RX" -s -j link show eth0 | grep -o '"rx":{"bytes":[0-9]*,"packets":[0-9]*' |
		sed 's/.*://'
}
now_ns() { date +%s%N; }

# CPU time in ns the given processes (all their threads) have run so far,
# softirq work done in their context included (/proc/PID/task/*/schedstat).
cpu_ns() {
	local pid sum=0 run rest f
	for pid in "$@"; do
		for f in /proc/"$pid"/task/*/schedstat; do
			read -r run rest <"$f" 2>/dev/null && sum=$((sum + run))
		done
	done
	echo "$sum"
}

# measure CASE TRAFFIC: floods the receiver as it is set up now and records
# CASE's rate over a window that starts after the generator is running:
# packets per second of wall time, packets per second of the CPU time the
# flood took (the generator, whose context runs the receiver's NAPI, and the
# ksoftirqd threads that take over from it), and the daemon's CPU share.
# On a machine shared with other work the wall rate follows how much CPU
# the flood got; the CPU-time rate does not.
# TRAFFIC: attacker | heavy | random | syn (100k random sources, random
# source ports, TCP SYNs to the closed port 9) | est (TCP ACKs of 100k flows,
# one per source, port 40000 to 9).
measure() {
	local name=$1 src=$ATTACKER sources=0 proto=udp gen c0 c1 t0 t1 f0 f1 d0 d1
	case $2 in
	heavy) src=$HEAVY ;;
	random) src=$RANDOM_FIRST sources=$RANDOM_COUNT ;;
	syn) src=$RANDOM_FIRST sources=$RANDOM_COUNT proto=syn ;;
	est) src=$RANDOM_FIRST sources=$RANDOM_COUNT proto=ack ;;
	unlisted) src=$UNLISTED_FIRST sources=$RANDOM_COUNT ;;
	unlisted-syn) src=$UNLISTED_FIRST sources=$RANDOM_COUNT proto=syn ;;
	listed) src=$LISTED_FIRST sources=$RANDOM_COUNT ;;
	esac
	# nsenter itself (not in_tx, a function: a subshell) execs the
	# generator, so $! is its pid
	nsenter --net="/var/run/netns/$TX" "$OUT/flood_gen" "$OUT/flood_tx.o" eth0 "$RX_MAC" \
		"$src" "$RX_IP" 600 $sources $proto >"$TMP/gen.out" 2>&1 &
	gen=$! GEN_PID=$!
	sleep 1
	t0=$(now_ns) c0=$(rx_packets) f0=$(cpu_ns $gen $SOFTIRQD) d0=$(cpu_ns $DAEMON_PID)
	sleep "$SECONDS_PER_RUN"
	t1=$(now_ns) c1=$(rx_packets) f1=$(cpu_ns $gen $SOFTIRQD) d1=$(cpu_ns $DAEMON_PID)
	kill -0 "$gen" 2>/dev/null || { cat "$TMP/gen.out" >&2; die "the generator failed ($name)"; }
	kill "$gen"
	wait "$gen" 2>/dev/null
	GEN_PID=
	awk -v r="$round" -v n="$name" -v p=$((c1 - c0)) -v t=$((t1 - t0)) -v f=$((f1 - f0)) \
		-v d=$((d1 - d0)) 'BEGIN { printf "%d\t%s\t%.3f\t%.3f\t%.1f\n", r, n,
			p / t * 1000, f ? p / f * 1000 : 0, d / t * 100 }' >>"$SAMPLES"
	tail -1 "$SAMPLES" | awk -F'\t' '{ printf "  %-42s %6.3f Mpps  %6.3f Mpps/CPU-s%s\n", $2,
		$3, $4, $2 ~ /daemon,/ ? sprintf("  daemon CPU %.1f %%", $5) : "" }'
}

xdp_attach() { in_rx ip link set dev eth0 xdpdrv pinned "$1" || die "cannot attach $1"; }
xdp_detach() { in_rx ip link set dev eth0 xdpdrv off 2>/dev/null; }

round_floor() {
	xdp_attach "$PIN/bare/bare_drop"
	measure "bare XDP_DROP" attacker
	xdp_detach
}

round_pass() {
	xdp_attach "$PIN/bare/bare_pass"
	measure "bare XDP_PASS, random" random
	xdp_detach
}

round_xdp_filter() {
	export LIBXDP_BPFFS=$PIN/xdp
	mkdir -p "$LIBXDP_BPFFS"
	if in_rx xdp-filter load -m native -p allow eth0 >"$TMP/xf.out" 2>&1 &&
	   in_rx xdp-filter ip -m src "$ATTACKER" >>"$TMP/xf.out" 2>&1; then
		measure "xdp-filter, denied" attacker
	else
		echo "  xdp-filter: cannot load: $(tail -1 "$TMP/xf.out")"
	fi
	in_rx xdp-filter unload eth0 >/dev/null 2>&1
	xdp_detach
}

# netdev ingress sees only what XDP passes (and veth needs an XDP program on
# the receiver for XDP_TX frames to arrive at all).
round_nft() {
	command -v nft >/dev/null || { echo "  nftables: no nft here, skipped"; return 0; }
	xdp_attach "$PIN/bare/bare_pass"
	in_rx nft -f - <<-EOF || die "nftables rule failed"
	table netdev flood {
		chain ingress {
			type filter hook ingress device eth0 priority 0; policy accept;
			ip saddr $ATTACKER drop
		}
	}
	EOF
	measure "nftables netdev drop" attacker
	in_rx nft delete table netdev flood
	xdp_detach
}

# ---- ingress_filter (TC conntrack) under a SYN flood to a closed port ----
# On veth, frames sent with XDP_TX arrive only where an XDP program runs:
# bare_pass stands in front of every TC receiver.

tc_attach_pinned() {
	in_rx tc qdisc add dev eth0 clsact &&
	in_rx tc filter add dev eth0 ingress bpf da object-pinned "$1" || die "cannot attach $1"
}

round_conntrack() {
	xdp_attach "$PIN/bare/bare_pass"
	measure "bare XDP_PASS, 100k established" est
	tc_attach_pinned "$PIN/bare/bare_tc_drop"
	measure "bare TC drop, SYN flood" syn
	in_rx tc qdisc del dev eth0 clsact

	daemon_start "$TMP/conntrack.hcl" ct
	"$OUT/ct_fill" "$PIN/flywall/maps/ingress_filter/conntrack" "$RANDOM_FIRST" \
		"$RANDOM_COUNT" "$RX_IP" || die "cannot fill ingress_filter's conntrack"
	measure "ingress_filter+daemon, SYN flood" syn
	measure "ingress_filter+daemon, 100k established" est
	API_PATH=/api/ebpf/stats api >"$TMP/ct-stats.json"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	measure "ingress_filter, daemon killed, SYN flood" syn
	measure "ingress_filter, daemon killed, 100k established" est
	rm -rf "$PIN/flywall"
	in_rx tc qdisc del dev eth0 clsact 2>/dev/null

	command -v nft >/dev/null || { xdp_detach; return 0; }
	in_rx nft -f - <<-EOF || die "nftables ct rule failed"
	table inet flood_ct {
		chain pre {
			type filter hook prerouting priority 0; policy accept;
			ct state new tcp dport 9 drop
		}
	}
	EOF
	measure "nftables ct state new drop, SYN flood" syn
	in_rx nft delete table inet flood_ct
	# The kernel's conntrack learns the 100k flows from their ACKs (loose
	# pickup) while a rule lets them in; then only established ones pass.
	in_rx nft -f - <<-EOF || die "nftables ct rule failed"
	table inet flood_ct {
		chain pre {
			type filter hook prerouting priority 0; policy accept;
			ct state established,related accept
			ct state new tcp dport 9 accept
		}
	}
	EOF
	nsenter --net="/var/run/netns/$TX" "$OUT/flood_gen" "$OUT/flood_tx.o" eth0 "$RX_MAC" \
		"$RANDOM_FIRST" "$RX_IP" 2 "$RANDOM_COUNT" ack >/dev/null 2>&1
	in_rx nft delete rule inet flood_ct pre handle \
		"$(in_rx nft -a list chain inet flood_ct pre | sed -n 's/.*ct state new.* handle \([0-9]*\)$/\1/p')"
	in_rx nft add rule inet flood_ct pre tcp dport 9 drop
	measure "nftables ct state established accept, 100k established" est
	in_rx nft delete table inet flood_ct
	xdp_detach
}

write_config() {
	mkdir -p "$TMP/programs"
	cp "$DDOS_OBJ" "$TMP/programs/ddos_filter.o"
	cat >"$TMP/flywall.hcl" <<-EOF
	ebpf {
	  enabled = true
	  program_dir = "$TMP/programs"
	  xdp "ddos_filter" {
	    program = "$TMP/programs/ddos_filter.o"
	    interface = "eth0"
	    mode = "native"
	    args = { max_pps = $MAX_PPS }
	  }
	}
	api {
	  listen = "127.0.0.1:8080"
	  token_file = "$TMP/api.token"
	}
	EOF
	cp "$INGRESS_OBJ" "$TMP/programs/ingress_filter.o"
	cat >"$TMP/conntrack.hcl" <<-EOF
	ebpf {
	  enabled = true
	  program_dir = "$TMP/programs"
	  tc "ingress_filter" {
	    program = "$TMP/programs/ingress_filter.o"
	    interface = "eth0"
	    direction = "ingress"
	    maps = {
	      "conntrack" = { type = "lru_hash", size = 1000000 }
	    }
	  }
	}
	api {
	  listen = "127.0.0.1:8080"
	  token_file = "$TMP/api.token"
	}
	EOF
}

api() { in_rx curl -s -m 5 "$@" "http://127.0.0.1:8080$API_PATH"; }

# daemon_start [CONFIG [ct]]: ct: no blocklist to fill
daemon_start() {
	local i config=${1:-$TMP/flywall.hcl}
	: >"$TMP/daemon.log"
	nsenter --net="/var/run/netns/$RX" "$FLYWALL" daemon -c "$config" \
		--pin-root "$PIN/flywall" >>"$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q "running (pid $DAEMON_PID)" "$TMP/daemon.log" && break
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "running (pid $DAEMON_PID)" "$TMP/daemon.log" ||
		{ cat "$TMP/daemon.log" >&2; die "the daemon did not start"; }
	[ "${2:-}" = ct ] && return 0
	API_PATH=/api/ebpf/blocklist api -X POST -H "Authorization: Bearer $(cat "$TMP/api.token")" \
		-d "{\"addresses\": [\"$ATTACKER\"]}" | grep -q '"added": 1' ||
		die "the API did not blocklist $ATTACKER"
}

round_daemon() {
	daemon_start
	measure "ddos_filter+daemon, blocklisted" attacker
	measure "ddos_filter+daemon, random" random
	measure "ddos_filter+daemon, rate-limited" heavy
	# after the windows: a stats request turns on run-time statistics
	API_PATH=/api/ebpf/stats api >"$TMP/stats.json"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	# the pinned link keeps the same program, with the same maps, attached
	measure "ddos_filter, daemon killed, blocklisted" attacker
	measure "ddos_filter, daemon killed, random" random
	measure "ddos_filter, daemon killed, rate-limited" heavy
	rm -rf "$PIN/flywall"
	xdp_detach
}

# The table: per case, medians over the rounds of the wall rate, of the
# CPU-time rate and of the daemon's CPU share; ratios are medians of the
# rounds' ratios of CPU-time rates to the bare receiver of the same traffic
# in the same round (the floor is measured twice a round, its mean taken).
report() {
	python3 - "$SAMPLES" <<-'PY'
	import statistics, sys
	runs = {}   # name -> round -> [(wall, per_cpu, daemon)]
	for line in open(sys.argv[1]):
	    rnd, name, wall, cpu, daemon = line.rstrip("\n").split("\t")
	    runs.setdefault(name, {}).setdefault(int(rnd), []).append(
	        (float(wall), float(cpu), float(daemon)))
	def per_round(name, i):
	    return {r: statistics.mean(x[i] for x in v) for r, v in runs.get(name, {}).items()}
	def med(name, i):
	    return statistics.median(per_round(name, i).values())
	def ratio(name, base, i=1):
	    a, b = per_round(name, i), per_round(base, i)
	    rs = [a[r] / b[r] for r in a if r in b and b[r]]
	    return "%.2f" % statistics.median(rs) if rs else ""
	print("| receiver | traffic | Mpps | Mpps per CPU-second | x floor | x bare XDP_PASS "
	      "| x xdp-filter | daemon CPU | per CPU-second, by round |")
	print("|---|---|---|---|---|---|---|---|---|")
	for n in runs:
	    random, syn, est = "random" in n, "SYN" in n, "established" in n
	    traffic = ("100k random sources" if random else
	               "SYN to a closed port, 100k sources" if syn else
	               "ACKs of 100k established flows" if est else
	               "one source over max_pps" if "rate" in n else "one denied source")
	    print("| %s | %s | %.2f | %.2f | %s | %s | %s | %s | %s |" % (
	        n, traffic, med(n, 0), med(n, 1),
	        "" if random or est else ratio(n, "bare TC drop, SYN flood" if syn else "bare XDP_DROP"),
	        ratio(n, "bare XDP_PASS, random") if random else
	        ratio(n, "bare XDP_PASS, 100k established") if est else "",
	        ratio(n, "xdp-filter, denied") if "blocklisted" in n else "",
	        "%.1f %%" % med(n, 2) if "daemon," in n else "",
	        " ".join("%.2f" % x for x in per_round(n, 1).values())))
	alive, dead = "ddos_filter+daemon, ", "ddos_filter, daemon killed, "
	kinds = ("blocklisted", "random", "rate-limited")
	print("\nDaemon alive / killed, medians of the rounds' ratios: per CPU-second " +
	      ", ".join("%s %s" % (k, ratio(alive + k, dead + k)) for k in kinds) +
	      "; wall rate " + ", ".join("%s %s" % (k, ratio(alive + k, dead + k, 0)) for k in kinds) + ".")
	syn_alive, syn_dead = "ingress_filter+daemon, SYN flood", "ingress_filter, daemon killed, SYN flood"
	if syn_alive in runs:
	    est_alive, est_dead = ("ingress_filter+daemon, 100k established",
	                           "ingress_filter, daemon killed, 100k established")
	    print("ingress_filter alive / killed: SYN flood per CPU-second %s, wall rate %s; "
	          "established per CPU-second %s. SYN rows' x floor: against the bare TC drop; "
	          "established rows' x bare XDP_PASS: against XDP_PASS alone under the same ACKs." % (
	              ratio(syn_alive, syn_dead), ratio(syn_alive, syn_dead, 0),
	              ratio(est_alive, est_dead)))
	PY
}

# ---- ddos_filter's rule plane (FLOOD_CASES=rules): 0, 10 and 10,000 rules ----
# One daemon for the whole run; between windows only its rule set changes
# (PUT /api/ebpf/programs/ddos_filter/rules), the three sets taking turns in
# a different order each round. max_pps is low here so that every traffic
# is dropped whatever the set (by a rule, else by the rate limiter, which
# comes after the rule plane): the rows measure the rule plane on the way
# to a drop, not the stack.
RULES_MAX_PPS=10
RULE_SETS="0 10 10000"

# rules_body N FILE: a PUT body of N rules. All but the last two are
# `drop udp src 100.(i/256).(i%256).0/24 dport P`, P the flood's port 9 for
# even i (so the port's candidate bitmap holds half the set) and
# 1000 + i % 5000 for odd i; then `count udp src 10.0.0.0/14 dport 9` and
# `drop udp src 10.0.0.0/14 dport 9`, last in the order, the ones the
# 10.1.0.0 flood matches.
rules_body() {
	python3 - "$1" "$2" <<-'PY'
	import json, sys
	n, rules = int(sys.argv[1]), []
	for i in range(max(n - 2, 0)):
	    rules.append({"name": "r%d" % i, "action": "drop", "proto": "udp",
	                  "src": "100.%d.%d.0/24" % (i // 256, i % 256),
	                  "dport": 9 if i % 2 == 0 else 1000 + i % 5000})
	if n >= 2:
	    rules += [{"name": "flood-count", "action": "count", "proto": "udp",
	               "src": "10.0.0.0/14", "dport": 9},
	              {"name": "flood-drop", "action": "drop", "proto": "udp",
	               "src": "10.0.0.0/14", "dport": 9}]
	json.dump({"rules": rules}, open(sys.argv[2], "w"), separators=(",", ":"))
	PY
}

# rules_put N: makes the daemon's set the N-rule set; checks the listing's
# count and records the request's time (compile + generation switch).
rules_put() {
	local n=$1 out
	out=$(API_PATH=/api/ebpf/programs/ddos_filter/rules api -m 30 -X PUT \
		-H "Authorization: Bearer $(cat "$TMP/api.token")" -H 'Content-Type: application/json' \
		--data-binary @"$TMP/rules-$n.json" -w '\n%{http_code} %{time_total}')
	echo "$out" | head -n -1 |
		python3 -c 'import json,sys; assert json.load(sys.stdin)["count"] == int(sys.argv[1])' \
		"$n" 2>/dev/null ||
		die "PUT of $n rules failed: $(echo "$out" | head -c 300)"
	echo "  set of $n rules loaded: HTTP $(echo "$out" | tail -1 | sed 's/ / in /') s"
}

# rules_hits: packets the flood-count and flood-drop rules have counted so
# far (summed over CPUs; a rule keeps its counters across sets that keep it).
rules_hits() {
	API_PATH=/api/ebpf/programs/ddos_filter/rules api | python3 -c '
import json, sys
hits = {r["name"]: r["packets"] for r in json.load(sys.stdin)["rules"]}
print(hits.get("flood-count", 0), hits.get("flood-drop", 0))'
}

round_rules() {
	local sets=($RULE_SETS) i n before after
	for ((i = 0; i < 3; i++)); do
		n=${sets[$(((i + round - 1) % 3))]}
		rules_put "$n"
		before=$(rules_hits)
		measure "rules $n, count+drop rules match" random
		after=$(rules_hits)
		echo "  flood-count / flood-drop counted $before -> $after"
		[ "$n" != 0 ] && [ "${after%% *}" = "${before%% *}" ] &&
			die "the count rule counted nothing with $n rules"
		measure "rules $n, no rule matches (udp)" unlisted
		measure "rules $n, no rule for the port (tcp)" unlisted-syn
		measure "rules $n, sources over the rules' /24s" listed
	done
}

# The rules table: per traffic, medians over the rounds of each set's
# CPU-time rate, and medians of the rounds' ratios 10,000 / 10 and 10 / 0.
report_rules() {
	python3 - "$SAMPLES" <<-'PY'
	import statistics, sys
	runs = {}   # (traffic, n) -> round -> (wall, per_cpu, daemon)
	for line in open(sys.argv[1]):
	    rnd, name, wall, cpu, daemon = line.rstrip("\n").split("\t")
	    if not name.startswith("rules "):
	        continue
	    n, traffic = name[6:].split(", ", 1)
	    runs.setdefault((traffic, int(n)), {})[int(rnd)] = (float(wall), float(cpu), float(daemon))
	def med(t, n, i):
	    return statistics.median(x[i] for x in runs[(t, n)].values())
	def ratios(t, a, b, i=1):
	    ra, rb = runs[(t, a)], runs[(t, b)]
	    return [ra[r][i] / rb[r][i] for r in sorted(ra) if r in rb and rb[r][i]]
	traffics = {
	    "count+drop rules match": "UDP to 9 from 100k random sources in 10.0.0.0/14: "
	        "the set's last two rules (count, drop) match; 0 rules: rate-limited",
	    "no rule matches (udp)": "UDP to 9 from 100k random sources in 10.16.0.0+: "
	        "port 9 has rules, no source prefix holds them; rate-limited",
	    "no rule for the port (tcp)": "TCP SYN to 9 from the same sources: no TCP rule; "
	        "rate-limited",
	    "sources over the rules' /24s": "UDP to 9 from 100k random sources in 100.0.0.0+: "
	        "10,000 rules: each source's /24 holds a rule of its own (half drop on port 9, "
	        "half are for other ports), 391 bitmaps in turn; 10 rules: 8 /24s, most sources "
	        "miss; not the same verdicts, outside the target",
	}
	print("| traffic | 0 rules | 10 rules | 10,000 rules | 10,000 / 10 | 10 / 0 "
	      "| 10,000 / 10 by round | wall Mpps 0 / 10 / 10,000 | daemon CPU |")
	print("|---|---|---|---|---|---|---|---|---|")
	for t, what in traffics.items():
	    if (t, 10) not in runs:
	        continue
	    big = ratios(t, 10000, 10)
	    print("| %s | %.3f | %.3f | %.3f | **%.2f** | %.2f | %s | %s | %s |" % (
	        what, med(t, 0, 1), med(t, 10, 1), med(t, 10000, 1),
	        statistics.median(big), statistics.median(ratios(t, 10, 0)),
	        " ".join("%.2f" % x for x in big),
	        " / ".join("%.3f" % med(t, n, 0) for n in (0, 10, 10000)),
	        " / ".join("%.1f %%" % med(t, n, 2) for n in (0, 10, 10000))))
	PY
}

run_rules() {
	local loads=
	sed "s/max_pps = $MAX_PPS/max_pps = $RULES_MAX_PPS/" "$TMP/flywall.hcl" >"$TMP/rules.hcl"
	for n in $RULE_SETS; do rules_body "$n" "$TMP/rules-$n.json"; done
	daemon_start "$TMP/rules.hcl"
	for ((round = 1; round <= ROUNDS; round++)); do
		loads="$loads${loads:+; }round $round: $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "round $round (load average $(cut -d' ' -f1-3 /proc/loadavg))"
		round_rules
	done
	kill "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	TABLE=$(report_rules)
	echo
	echo "$TABLE"
	{
		echo
		echo "### Rule plane under a live flood, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null)${FLOOD_NOTE:+: $FLOOD_NOTE}"
		echo
		echo "\`FLOOD_CASES=rules bench/flood.sh\`, $(uname -r), $(nproc) CPUs, $ROUNDS rounds of" \
			"${SECONDS_PER_RUN} s per window, ddos_filter (max_pps = $RULES_MAX_PPS) under one" \
			"\`flywall daemon\`, sets of 0 / 10 / 10,000 rules put through the API in turn." \
			"Mpps per CPU-second of the flood (medians); ratios: medians of the rounds' ratios." \
			"Load average at the start of each round: $loads; at the end $(cut -d' ' -f1-3 /proc/loadavg)" \
			"(a 2-CPU machine shared with other engineers' builds and tests)."
		echo
		echo "$TABLE"
	} >>"$RESULTS"
}

# Tracepoint programs are system-wide: what other processes attach to net:
# or skb: tracepoints runs on every packet that reaches the stack here too.
foreign_tracepoints() {
	bpftool perf show 2>/dev/null | grep -c 'tracepoint'
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, XDP)"
command -v python3 >/dev/null || die "needs python3"
build_tools
lab_up
write_config
: >"$SAMPLES"
echo "# flood: $(uname -r), $(nproc) CPUs, $ROUNDS rounds of ${SECONDS_PER_RUN} s per receiver, cases:$CASES"
TRACEPOINTS=$(foreign_tracepoints)
[ "$TRACEPOINTS" -gt 0 ] && echo "warning: $TRACEPOINTS tracepoint programs attached by other" \
	"processes: they run on every packet that reaches the stack (rows through the stack read low)"
[ "$CASES" = " rules " ] && { run_rules; exit 0; }
for ((round = 1; round <= ROUNDS; round++)); do
	echo "round $round (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	for case in floor pass daemon floor xdp_filter nft conntrack; do
		[[ $CASES == *" $case "* ]] && "round_$case"
	done
done
TABLE=$(report)
echo
echo "$TABLE"
events=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])).get("events")))' \
	"$TMP/stats.json" 2>/dev/null)
[ -n "$events" ] && echo "Last round's daemon, GET /api/ebpf/stats events: $events"
ct_events=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])).get("events")))' \
	"$TMP/ct-stats.json" 2>/dev/null)
[ -n "$ct_events" ] && echo "Last round's ingress_filter daemon, events: $ct_events"
{
	echo
	echo "### Flood, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null)${FLOOD_NOTE:+: $FLOOD_NOTE}"
	echo
	echo "\`bench/flood.sh\`, $(uname -r), $(nproc) CPUs, $ROUNDS rounds of ${SECONDS_PER_RUN} s" \
		"per receiver, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)," \
		"tracepoint programs of other processes attached: $TRACEPOINTS (at the start)${FLOOD_CASES:+, cases: $FLOOD_CASES}."
	echo
	echo "$TABLE"
	[ -n "$events" ] && echo && echo "Daemon's \`GET /api/ebpf/stats\` \"events\" after its last round: \`$events\`"
	[ -n "$ct_events" ] && echo && echo "The ingress_filter daemon's, after its last round: \`$ct_events\`"
} >>"$RESULTS"
