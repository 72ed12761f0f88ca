# The libFuzzer harnesses (tests/fuzz/), a few seconds each under
# clang's ASan+UBSan: a crash, a leak, a sanitizer report or a broken
# invariant fails.  Then the JSON differential (json_diff.py): the
# scanner against Python's json over the seeds, what this run found,
# JSONTestSuite and 50000 mutants of them.  The harnesses are those make check builds into
# build/fuzz/fuzzers ($QP_FUZZ/fuzzers); without clang's libFuzzer
# this skips.
. "$QP_ROOT/tests/lib.sh"
FZ=${QP_FUZZ:-$QP_ROOT/build/fuzz}/fuzzers
SECS=${FUZZ_SMOKE_SECONDS:-4}
SUITE=${JSONTESTSUITE:-$QP_ROOT/tests/fixtures/jsontestsuite/test_parsing}
NAMES=$(sed -n 's/^FUZZERS[[:space:]]*=//p' "$QP_ROOT/Makefile")

# Can clang link a libFuzzer target here?
libfuzzer() {
	command -v clang >/dev/null 2>&1 || return 1
	printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$T/t.c"
	clang -fsanitize=fuzzer "$T/t.c" -o "$T/t" >/dev/null 2>&1
}

if ! libfuzzer; then
	for n in $NAMES; do skip "fuzz $n: clang with libFuzzer is missing (tests/deps.sh --test installs it)"; done
	done_testing
fi
for n in $NAMES; do
	if ! [ -x "$FZ/$n" ]; then
		skip "fuzz $n: not built (make check builds it: make BUILD=build/fuzz CC=clang CFLAGS=... fuzzers)"
		continue
	fi
	mkdir -p "$T/corpus/$n" "$T/art"
	seeds=(); [ -d "$QP_ROOT/tests/fuzz/corpus/$n" ] && seeds=("$QP_ROOT/tests/fuzz/corpus/$n")
	dict=(); [ -f "$QP_ROOT/tests/fuzz/$n.dict" ] && dict=(-dict="$QP_ROOT/tests/fuzz/$n.dict")
	# libFuzzer stops at -max_total_time; timeout(1) is the backstop.
	timeout $((SECS + 60)) "$FZ/$n" -max_total_time="$SECS" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$T/art/$n-" \
	    "${dict[@]}" "$T/corpus/$n" "${seeds[@]}" >"$T/$n.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$n.log")
	cov=$(grep -E '^#[0-9]+.*cov: ' "$T/$n.log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
	if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
		ok "fuzz $n: $SECS s, $execs executions, $cov, no crash or leak"
	else
		not_ok "fuzz $n: exit $rc"
		grep -E 'ERROR|SUMMARY|runtime error|jq:|ours:' "$T/$n.log" | head -8 | sed 's/^/#   /'
		for a in "$T"/art/"$n"-*; do
			[ -e "$a" ] || continue
			echo "#   input: $(base64 -w0 <"$a" | head -c 600)"
			mkdir -p "$QP_ROOT/build/fuzz-failures"
			cp "$a" "$QP_ROOT/build/fuzz-failures/" &&
			    echo "#   kept as build/fuzz-failures/$(basename "$a")"
		done
	fi
done

if [ -x "$FZ/json-verdict" ]; then
	python3 "$QP_ROOT/tests/fuzz/json_diff.py" --mutate 50000 "$FZ/json-verdict" "$T/corpus/json" \
	    "$QP_ROOT/tests/fuzz/corpus/json" "$SUITE" >"$T/diff.log" 2>&1; rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "json differential: $(grep '^json_diff:' "$T/diff.log" | sed 's/^json_diff: //')"
	else
		not_ok "json differential against Python's json"
		grep -v '^# i_' "$T/diff.log" | head -20 | sed 's/^/#   /'
	fi
else
	skip "json differential: json-verdict not built"
fi
done_testing
