#!/usr/bin/env bash
# Mutation testing: do the tests catch bugs? Applies, one at a time, the
# realistic one-line bugs listed in tests/mutations.txt (an inverted
# comparison, a dropped clause, an off-by-one, a field read from the wrong
# place, a wrong constant), rebuilds what the suites covering the file need,
# runs those suites cheapest first and stops at the first that fails (the
# mutation is killed), reverts, and ends with the score.
#
#   scripts/mutate.sh [ID...]       only the mutations whose id contains ID
#   scripts/mutate.sh --check       only checks that every original text is
#                                   still there, once (no build, no run)
#   MUTATE_TIMEOUT=240              seconds per suite run (a hang is a kill)
#   MUTATE_BASELINE=0               skip the unmutated run of the suites
#   MUTATE_DIR=/tmp/...             where the scratch copy lives (removed at exit)
#
# The mutations are applied to a scratch copy of the tree (sources and the
# build directory), never to the checkout itself. A mutation whose original
# text no longer occurs exactly once in its file is STALE (the code changed
# under it): it fails the run, as does a mutation that does not build, or a
# score under 90 %.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIST=${MUTATIONS:-$ROOT/tests/mutations.txt}
BUILD=${BUILD:-build}
TIMEOUT=${MUTATE_TIMEOUT:-240}
TARGET_PCT=90
WORK=${MUTATE_DIR:-$(mktemp -d /tmp/flywall-mutate.XXXXXX)}
CURRENT=""      # the file under mutation, restored on any exit

restore() {
	[ -n "$CURRENT" ] || return 0
	cp "$WORK/.orig" "$WORK/$CURRENT"   # a new mtime: make rebuilds it
	CURRENT=""
}
cleanup() {
	restore
	[ -z "${MUTATE_KEEP:-}" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "interrupted: the last mutation was reverted"; exit 130' INT TERM

# ---- the list ---------------------------------------------------------------
# Blocks of "key: value" lines separated by blank lines; # starts a comment.
# id, file, suites (cheapest first), from (exact text, once in the file),
# to (its replacement; may be empty), and optionally why and equivalent
# (why no test can tell the mutant from the original: if it survives it is
# reported as such and left out of the score).
IDS=() FILES=() SUITES=() FROMS=() TOS=() EQUIVS=()
parse_list() {
	local line id="" file="" suites="" from="" to="" has_to=0 equiv=""
	flush() {
		if [ -n "$id" ]; then
			if [ -z "$file" ] || [ -z "$suites" ] || [ -z "$from" ] || [ "$has_to" = 0 ]; then
				echo "$LIST: mutation $id lacks file, suites, from or to" >&2
				exit 2
			fi
			IDS+=("$id") FILES+=("$file") SUITES+=("$suites") FROMS+=("$from") TOS+=("$to")
			EQUIVS+=("$equiv")
		fi
		id="" file="" suites="" from="" to="" has_to=0 equiv=""
	}
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in
		"#"*) ;;
		"") flush ;;
		"id: "*) id=${line#id: } ;;
		"file: "*) file=${line#file: } ;;
		"suites: "*) suites=${line#suites: } ;;
		"from: "*) from=${line#from: } ;;
		"to:"*) to=${line#to:}; to=${to# }; has_to=1 ;;
		"why: "*) ;;
		"equivalent: "*) equiv=${line#equivalent: } ;;
		*) echo "$LIST: cannot read: $line" >&2; exit 2 ;;
		esac
	done <"$LIST"
	flush
}

selected() { # id
	local want
	[ "${#SELECT[@]}" -eq 0 ] && return 0
	for want in "${SELECT[@]}"; do [[ "$1" == *"$want"* ]] && return 0; done
	return 1
}

# How often FROM occurs in FILE (python: the texts hold * [ & and the like).
occurrences() { # file from
	python3 -c 'import sys; print(open(sys.argv[1]).read().count(sys.argv[2]))' "$1" "$2"
}
apply() { # file from to
	python3 -c '
import sys
p, a, b = sys.argv[1:]
s = open(p).read()
open(p, "w").write(s.replace(a, b, 1))' "$1" "$2" "$3"
}

# The make targets a suite needs.
targets_for() { # suite...
	local s
	for s in "$@"; do
		case "$s" in
		unit/*|bpf/*) echo "$BUILD/tests/$s" ;;
		e2e/*) echo all; for c in tests/e2e/*.c; do
				c=${c##*/}; echo "$BUILD/tests/e2e/${c%.c}"; done ;;
		esac
	done | sort -u
}

build() { # suite...
	# shellcheck disable=SC2046
	make -C "$WORK" -j2 -s BUILD=$BUILD $(targets_for "$@") >"$WORK/.build.log" 2>&1
}

# Runs one suite; 0 when it passes.
run_suite() { # suite
	(cd "$WORK" && BUILD=$BUILD timeout -k 10 "$TIMEOUT" tests/run.sh "$1") >"$WORK/.suite.log" 2>&1
}
FLAKY=()
is_flaky() { [[ " ${FLAKY[*]} " == *" $1 "* ]]; }
# A suite found flaky in the baseline kills only if it fails twice.
suite_kills() { # suite
	run_suite "$1" && return 1
	is_flaky "$1" || return 0
	cp "$WORK/.suite.log" "$WORK/.suite.first"
	run_suite "$1" && return 1
	return 0
}

# ---- main -------------------------------------------------------------------
CHECK_ONLY=0
[ "${1:-}" = --check ] && { CHECK_ONLY=1; shift; }
SELECT=("$@")
parse_list
cd "$ROOT" || exit 2
if [ "$CHECK_ONLY" = 1 ]; then
	bad=0
	for ((i = 0; i < ${#IDS[@]}; i++)); do
		selected "${IDS[$i]}" || continue
		count=$(occurrences "${FILES[$i]}" "${FROMS[$i]}" 2>/dev/null || echo 0)
		[ "$count" = 1 ] && continue
		echo "STALE ${IDS[$i]} (${FILES[$i]}): the original text occurs $count times: ${FROMS[$i]}"
		bad=$((bad + 1))
	done
	echo "${#IDS[@]} mutations, $bad stale"
	[ "$bad" -eq 0 ]
	exit
fi
echo "copying the tree to $WORK"
mkdir -p "$WORK"
git ls-files -co --exclude-standard -z | grep -zv "^$BUILD/" | xargs -0 cp --parents -a -t "$WORK"
[ -d "$BUILD" ] && cp -a "$BUILD" "$WORK/"
echo "building (make test-build)"
if ! make -C "$WORK" -j2 -s BUILD=$BUILD test-build >"$WORK/.build.log" 2>&1; then
	tail -n 30 "$WORK/.build.log"
	echo "the unmutated tree does not build"
	exit 2
fi

todo=()
for ((i = 0; i < ${#IDS[@]}; i++)); do selected "${IDS[$i]}" && todo+=("$i"); done
if [ "${MUTATE_BASELINE:-1}" != 0 ]; then
	# The suites must pass unmutated, or a kill means nothing.
	mapfile -t base < <(for i in "${todo[@]}"; do printf '%s\n' ${SUITES[$i]}; done | sort -u)
	echo "baseline: ${base[*]}"
	for s in "${base[@]}"; do
		run_suite "$s" && continue
		if run_suite "$s"; then
			# (timing checks on a busy machine): a kill by it needs two failures
			echo "baseline: $s failed once and passed on a second run: flaky"
			FLAKY+=("$s")
			continue
		fi
		tail -n 30 "$WORK/.suite.log"
		echo "baseline: $s fails without any mutation"
		exit 2
	done
fi

killed=0 survived=0 stale=0 invalid=0 equivalent=0 n=0 start=$SECONDS
survivors=()
for i in "${todo[@]}"; do
	n=$((n + 1))
	id=${IDS[$i]} file=${FILES[$i]} from=${FROMS[$i]} to=${TOS[$i]}
	read -ra suites <<<"${SUITES[$i]}"
	prefix=$(printf '[%2d/%d] %-28s %-32s' "$n" "${#todo[@]}" "$id" "$file")
	count=$(occurrences "$WORK/$file" "$from" 2>/dev/null || echo 0)
	if [ "$count" != 1 ]; then
		echo "$prefix STALE: the original text occurs $count times: $from"
		stale=$((stale + 1))
		continue
	fi
	t0=$SECONDS
	cp "$WORK/$file" "$WORK/.orig"
	CURRENT=$file
	apply "$WORK/$file" "$from" "$to"
	if ! build "${suites[@]}"; then
		restore
		echo "$prefix INVALID: does not build"
		sed 's/^/    | /' "$WORK/.build.log" | grep -m5 error
		invalid=$((invalid + 1))
		continue
	fi
	by=""
	for s in "${suites[@]}"; do
		if suite_kills "$s"; then by=$s; break; fi
	done
	restore
	if [ -n "$by" ]; then
		killed=$((killed + 1))
		why=$(grep -m1 -E '^  FAIL ' "$WORK/.suite.log" | sed 's/^  FAIL  //' | cut -c1-90)
		echo "$prefix killed by $by ($((SECONDS - t0)) s): $why"
	elif [ -n "${EQUIVS[$i]}" ]; then
		equivalent=$((equivalent + 1))
		echo "$prefix survived, equivalent: ${EQUIVS[$i]}"
	else
		survived=$((survived + 1))
		survivors+=("$id")
		echo "$prefix SURVIVED ${suites[*]} ($((SECONDS - t0)) s)"
	fi
done

applied=$((killed + survived))
pct=0
[ "$applied" -gt 0 ] && pct=$((100 * killed / applied))
echo "survivors: ${survivors[*]:-none}"
echo "mutation score: $killed/$applied killed ($pct %), $equivalent equivalent (not scored)," \
	"$stale stale, $invalid invalid," \
	"$((SECONDS - start)) s ($(date -u +%Y-%m-%d))"
[ "$stale" -eq 0 ] && [ "$invalid" -eq 0 ] && [ "$pct" -ge "$TARGET_PCT" ]
