#!/bin/bash
# bench/kafka.sh [BIN_DIR] - kprod and kcons against kcat, side by side.
#
# 400k quote-sized JSON lines (invented values, ~470 bytes each) are
# produced with `kprod -k .symbol` (which also validates every line and
# extracts its key) and with `kcat -P`, then consumed with `kcons -e` and
# `kcat -C -e`, against the same kmock, RUNS runs each, alternating.
# Prints rates, peak RSS and the ratios (best run of each).  Data stays
# under kmock's ~5 MB per partition: 64 partitions, and kcat's null keys
# are spread with sticky.partitioning.linger.ms=0 so they do not pile
# onto one partition.
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
RUNS=${RUNS:-3}
LINES=${LINES:-400000}
PARTS=64
W=$(mktemp -d /tmp/qp-bench.XXXXXX)
KM=
trap '[ -n "$KM" ] && kill $KM 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT

awk -v n="$LINES" 'BEGIN {
	split("Americas Asia-Pacific Europe", reg, " ")
	for (i = 0; i < n; i++) {
		s = i % 4000
		printf "{\"name\":\"Index %d\",\"symbol\":\"SYM-%04d\",\"current_price\":%d.%08d,\"prev_close_price\":%d.%07d,\"price_change_from_prev_close\":-%d.%014d,\"percent_change_from_prev_close\":-0.00%015d,\"prev_close_date\":\"2023-05-11\",\"sort_order_index\":%d,\"last_updated\":\"2023-05-12T21:16:26+00:00\",\"event_timestamp\":\"2023-05-12T21:16:26+00:00\",\"status\":\"UNKNOWN\",\"next_status\":\"UNKNOWN\",\"next_status_change\":\"2023-05-12T13:30:21.109002+00:00\",\"country\":{\"name\":\"Country %d\",\"code\":\"C%02d\",\"region\":\"%s\"},\"refresh_interval_in_seconds\":0}\n", s, s, 1000 + i % 9000, i % 100000000, 1000 + i % 9000, i % 10000000, i % 100, i, i, s % 77, s % 50, s % 50, reg[s % 3 + 1]
	}
}' >"$W/quotes.jsonl"
BYTES=$(wc -c <"$W/quotes.jsonl")

topics=()
for r in $(seq "$RUNS"); do topics+=(-t "kp$r:$PARTS" -t "kc$r:$PARTS"); done
"$BIN/kmock" -n 1 -q "${topics[@]}" >"$W/kmock.out" &
KM=$!
for i in $(seq 50); do [ -s "$W/kmock.out" ] && break; sleep 0.1; done
B=$(head -1 "$W/kmock.out")

# timed OUT IN CMD...: run CMD, stdin from IN, stdout to OUT; prints "seconds peakRSS_KB".
timed() {
	local out=$1 in=$2; shift 2
	/usr/bin/time -f '%e %M' -o "$W/time" "$@" <"$in" >"$out"
	cat "$W/time"
}
mbps() { echo "scale=1; $BYTES / 1048576 / $1" | bc; }
line() { printf '  %-26s %6.2f s %8s MB/s  peak RSS %7d KB\n' "$1" "$2" "$(mbps "$2")" "$3"; }
best() { sort -n "$W/$1" | head -1; }
median() { sort -n "$W/$1" | sed -n "$(( (RUNS + 1) / 2 ))p"; }

echo "data: $LINES lines, $(echo "scale=1; $BYTES / 1048576" | bc) MB ($((BYTES / LINES)) bytes a line), kmock with 1 broker, $PARTS partitions a topic"
echo "peer: kcat $(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*/\1/p'), $(kcat -V 2>&1 | grep -o 'librdkafka [0-9.]*' | head -1); ours: $("$BIN/kprod" -V)"
# Odd runs start with our tool, even runs with kcat, so neither always
# gets the warmer or the colder broker.
kprod_run() {
	read -r t m < <(timed /dev/null "$W/quotes.jsonl" "$BIN/kprod" -q -b "$B" -t "kp$r" -k .symbol)
	line "run $r kprod -k .symbol" "$t" "$m"; echo "$t $m" >>"$W/kprod"
}
kcatp_run() {
	read -r t m < <(timed /dev/null "$W/quotes.jsonl" kcat -P -b "$B" -t "kc$r" -X sticky.partitioning.linger.ms=0)
	line "run $r kcat -P" "$t" "$m"; echo "$t $m" >>"$W/kcatp"
}
kcons_run() {
	read -r t m < <(timed "$W/kcons.out" /dev/null "$BIN/kcons" -q -b "$B" -t kp1 -e)
	line "run $r kcons -e" "$t" "$m"; echo "$t $m" >>"$W/kcons"
}
kcatc_run() {
	read -r t m < <(timed "$W/kcat.out" /dev/null kcat -C -b "$B" -t kp1 -e -q)
	line "run $r kcat -C -e" "$t" "$m"; echo "$t $m" >>"$W/kcatc"
}
echo "produce:"
for r in $(seq "$RUNS"); do
	if [ $((r % 2)) = 1 ]; then kprod_run; kcatp_run; else kcatp_run; kprod_run; fi
done
echo "consume (topic kp1):"
for r in $(seq "$RUNS"); do
	if [ $((r % 2)) = 1 ]; then kcons_run; kcatc_run; else kcatc_run; kcons_run; fi
done
# Both consumers must have read everything, or the rates mean nothing.
[ "$(wc -l <"$W/kcons.out")" -eq "$LINES" ] || { echo "kcons read $(wc -l <"$W/kcons.out") of $LINES" >&2; exit 1; }
[ "$(wc -l <"$W/kcat.out")" -eq "$LINES" ] || { echo "kcat read $(wc -l <"$W/kcat.out") of $LINES" >&2; exit 1; }
cmp -s <(sort "$W/kcons.out") <(sort "$W/quotes.jsonl") || { echo "kcons output differs from the input" >&2; exit 1; }

for stat in best median; do
	read -r kp _ < <($stat kprod); read -r kcp _ < <($stat kcatp)
	read -r kc _ < <($stat kcons); read -r kcc _ < <($stat kcatc)
	echo "$stat of $RUNS (ratio = ours / kcat's rate):"
	printf '  produce: kprod %s MB/s, kcat -P %s MB/s, ratio %s\n' "$(mbps "$kp")" "$(mbps "$kcp")" "$(echo "scale=2; $kcp / $kp" | bc)"
	printf '  consume: kcons %s MB/s, kcat -C %s MB/s, ratio %s\n' "$(mbps "$kc")" "$(mbps "$kcc")" "$(echo "scale=2; $kcc / $kc" | bc)"
done
