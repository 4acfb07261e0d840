#!/usr/bin/env bash
# Flywall's HCL parser against HashiCorp's own (hclsyntax, built from
# Debian's golang-github-hashicorp-hcl-v2-dev as tests/hcl-oracle): both
# print the attribute/block tree of a file as canonical JSON, which must be
# identical whenever both accept the file. Where they disagree on accepting
# it, only the documented refusals (docs/configuration.md) may stand:
#   tests/hcl-corpus/same/            both accept, same tree
#   tests/hcl-corpus/refused/         both refuse
#   tests/hcl-corpus/flywall-refuses/ HCL accepts, Flywall refuses with the
#                                     message on the file's first line
# plus the shipped examples (same) and HCL's own specsuite (any outcome but
# a value difference or an undocumented refusal).
. "$(dirname "$0")/lib.sh"

ORACLE="$BUILD/tests/hcl-oracle"
DUMP="$BUILD/tests/e2e/hcl_dump"
CORPUS="$E2E_ROOT/tests/hcl-corpus"
SPECSUITE=/usr/share/gocode/src/github.com/hashicorp/hcl/v2/specsuite/tests

# What Flywall may refuse although HCL accepts it (each documented).
DOCUMENTED_REFUSALS=(
	"expressions are not supported in Flywall's HCL"
	"does not fit in a 64-bit integer"
	"more significant digits than a 64-bit floating-point number keeps"
	"for a 64-bit floating-point number"
	"cannot contain a NUL"
	"expected a key (a name or a quoted string)"
	"duplicate \""
)

# parse FILE: sets HCL_RC/HCL_OUT (HashiCorp) and FW_RC/FW_OUT/FW_ERR (Flywall).
parse() {
	HCL_OUT=$("$ORACLE" "$1" 2>&1)
	HCL_RC=$?
	FW_OUT=$("$DUMP" "$1" 2>"$T_TMP/fw_err")
	FW_RC=$?
	FW_ERR=$(cat "$T_TMP/fw_err")
}

documented_refusal() {
	local m
	for m in "${DOCUMENTED_REFUSALS[@]}"; do
		[[ "$FW_ERR" == *"$m"* ]] && return 0
	done
	return 1
}

# expect_same FILE NAME: both accept it and print the same tree.
expect_same() {
	parse "$1"
	if [ "$HCL_RC" -ne 0 ]; then
		not_ok "$2: HashiCorp's parser accepts it" "$HCL_OUT"
	elif [ "$FW_RC" -ne 0 ]; then
		not_ok "$2: Flywall accepts it" "$FW_ERR"
	else
		check_eq "$2: same values as HashiCorp's parser" "$HCL_OUT" "$FW_OUT"
	fi
}

# expect_refused FILE NAME: both refuse it.
expect_refused() {
	parse "$1"
	if [ "$HCL_RC" -eq 0 ]; then
		not_ok "$2: HashiCorp's parser refuses it" "it accepts: $HCL_OUT"
	elif [ "$FW_RC" -eq 0 ]; then
		not_ok "$2: Flywall refuses it, as HCL does" "Flywall accepts: $FW_OUT
HCL: $HCL_OUT"
	else
		ok "$2: both refuse it"
	fi
}

# expect_flywall_refuses FILE NAME: HCL accepts; Flywall refuses with the
# message its first line gives ("# flywall: MESSAGE"), a documented one.
expect_flywall_refuses() {
	local want
	want=$(head -n 1 "$1")
	want=${want#"# flywall: "}
	parse "$1"
	if [ "$HCL_RC" -ne 0 ]; then
		not_ok "$2: HashiCorp's parser accepts it" "$HCL_OUT"
	elif [ "$FW_RC" -eq 0 ]; then
		not_ok "$2: Flywall refuses it" "Flywall accepts: $FW_OUT"
	elif ! documented_refusal; then
		not_ok "$2: Flywall's refusal is a documented one" "$FW_ERR"
	else
		check_contains "$2: Flywall refuses it: $want" "$want" "$FW_ERR"
	fi
}

# expect_no_difference FILE NAME: no value difference, and Flywall refuses
# nothing HCL accepts unless documented, and accepts nothing HCL refuses.
expect_no_difference() {
	parse "$1"
	if [ "$HCL_RC" -eq 0 ] && [ "$FW_RC" -eq 0 ]; then
		check_eq "$2: same values as HashiCorp's parser" "$HCL_OUT" "$FW_OUT"
	elif [ "$HCL_RC" -ne 0 ] && [ "$FW_RC" -eq 0 ]; then
		not_ok "$2: Flywall refuses what HCL refuses" "Flywall accepts: $FW_OUT
HCL: $HCL_OUT"
	elif [ "$HCL_RC" -eq 0 ] && ! documented_refusal; then
		not_ok "$2: Flywall refuses only what docs/configuration.md lists" "$FW_ERR"
	else
		ok "$2: no difference but documented ones"
	fi
}

if [ ! -x "$ORACLE" ] || [ ! -x "$DUMP" ]; then
	# Never a silent pass: without HashiCorp's parser nothing is compared.
	not_ok "HashiCorp's parser ($ORACLE) and hcl_dump are built" \
		"run scripts/install-deps.sh (golang-go, golang-github-hashicorp-hcl-v2-dev), then make test-build"
	exit 1
fi

n_same=0
for f in "$CORPUS"/same/*.hcl "$E2E_ROOT"/examples/*.hcl "$E2E_ROOT"/examples/snippets/*.hcl; do
	expect_same "$f" "${f#"$E2E_ROOT"/}"
	n_same=$((n_same + 1))
done
for f in "$CORPUS"/refused/*.hcl; do
	expect_refused "$f" "${f#"$E2E_ROOT"/}"
done
for f in "$CORPUS"/flywall-refuses/*.hcl; do
	expect_flywall_refuses "$f" "${f#"$E2E_ROOT"/}"
done
if [ -d "$SPECSUITE" ]; then
	while IFS= read -r f; do
		expect_no_difference "$f" "hcl specsuite ${f#"$SPECSUITE"/}"
	done < <(find "$SPECSUITE" -name '*.hcl' | sort)
else
	not_ok "HCL's specsuite is installed" "missing $SPECSUITE: run scripts/install-deps.sh"
fi
check "the corpus is not empty ($n_same files that must parse the same)" test "$n_same" -ge 20

# Generated files (tests/e2e/hcl_gen.py, fixed seed: the same files every
# run; HCL_GEN_SEED and HCL_GEN_COUNT explore further). One line for all that
# agree, one failure per file that does not.
seed=${HCL_GEN_SEED:-1} count=${HCL_GEN_COUNT:-300}
if python3 "$E2E_ROOT/tests/e2e/hcl_gen.py" "$seed" "$count" "$T_TMP/gen"; then
	same=0 refused=0 documented=0 differ=0
	for f in "$T_TMP"/gen/*.hcl; do
		parse "$f"
		if [ "$HCL_RC" -eq 0 ] && [ "$FW_RC" -eq 0 ] && [ "$HCL_OUT" == "$FW_OUT" ]; then
			same=$((same + 1))
		elif [ "$HCL_RC" -ne 0 ] && [ "$FW_RC" -ne 0 ]; then
			refused=$((refused + 1))
		elif [ "$HCL_RC" -eq 0 ] && [ "$FW_RC" -ne 0 ] && documented_refusal; then
			documented=$((documented + 1))
		else
			differ=$((differ + 1))
			not_ok "generated $(basename "$f") (seed $seed): no difference" \
				"$(od -c "$f" | head -20)
HCL ($HCL_RC): $HCL_OUT
Flywall ($FW_RC): $FW_OUT $FW_ERR"
		fi
	done
	check_eq "$count generated files (seed $seed): $same the same, $refused refused by both, $documented documented refusals" \
		0 "$differ"
	check "generated files exercise both outcomes" test "$same" -ge $((count / 10)) -a "$refused" -ge $((count / 10))
else
	not_ok "tests/e2e/hcl_gen.py generates files"
fi
