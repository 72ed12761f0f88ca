#!/bin/bash
# tests/fuzz/run.sh FUZZ_BUILD SECONDS NAME... - make fuzz: run each
# harness FUZZ_BUILD/fuzzers/NAME for SECONDS (FUZZ_JOBS at a time) on
# FUZZ_BUILD/corpus/NAME, grown from the seeds in tests/fuzz/corpus/NAME,
# and print one line per harness: executions, coverage (libFuzzer's
# cov: edges, ft: features) and corpus size.  Then the JSON differential
# (json_diff.py) over the grown corpus, the seeds, JSONTestSuite and
# 500000 mutants of them.
# A crash, a leak or a difference makes the exit status 1; the input
# that did it is kept as FUZZ_BUILD/artifacts/NAME-*.
set -u
B=$(cd "$1" && pwd) S=$2; shift 2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=${JSONTESTSUITE:-$ROOT/tests/fixtures/jsontestsuite/test_parsing}
JOBS=${FUZZ_JOBS:-1}
mkdir -p "$B/logs" "$B/artifacts"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

fuzz_one() {	# fuzz_one NAME: run it, log in $B/logs/NAME.log
	local name=$1 dict=() seeds=()
	mkdir -p "$B/corpus/$name"
	[ -d "$ROOT/tests/fuzz/corpus/$name" ] && seeds=("$ROOT/tests/fuzz/corpus/$name")
	[ -f "$ROOT/tests/fuzz/$name.dict" ] && dict=(-dict="$ROOT/tests/fuzz/$name.dict")
	# libFuzzer stops itself at -max_total_time; timeout(1) is the
	# backstop for a harness that hangs in one input.
	timeout $((S + 120)) "$B/fuzzers/$name" -max_total_time="$S" \
	    -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$B/artifacts/$name-" "${dict[@]}" \
	    "$B/corpus/$name" "${seeds[@]}" >"$B/logs/$name.log" 2>&1
	echo $? >"$B/logs/$name.rc"
}

summary() {	# summary NAME: the harness's line; 1 if it failed
	local name=$1 log=$B/logs/$1.log rc execs last cov ft corp
	rc=$(cat "$B/logs/$name.rc")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
	printf 'fuzz %-9s %s s: %12s execs (%s/s), cov %s, ft %s, corpus %s: %s\n' \
	    "$name" "$S" "${execs:-?}" "$(( ${execs:-0} / (S > 0 ? S : 1) ))" \
	    "${cov:-?}" "${ft:-?}" "${corp:-?}" \
	    "$([ "$rc" -eq 0 ] && echo ok || echo "FAILED (exit $rc; see $log)")"
	if [ "$rc" -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$log" |
		    head -5 | sed 's/^/    /'
		return 1
	fi
}

running=0
for name in "$@"; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n; running=$((running - 1))
	fi
	echo "fuzz $name: $S s ..." >&2
	fuzz_one "$name" & running=$((running + 1))
done
wait
failed=0
for name in "$@"; do
	summary "$name" || failed=1
done
if [[ " $* " == *" json "* ]]; then
	python3 "$ROOT/tests/fuzz/json_diff.py" --mutate 500000 \
	    "$B/fuzzers/json-verdict" \
	    "$B/corpus/json" "$ROOT/tests/fuzz/corpus/json" "$SUITE" \
	    >"$B/logs/json-diff.log" 2>&1 || failed=1
	grep -v '^#' "$B/logs/json-diff.log" | sed 's/^/fuzz /'
fi
exit $failed
