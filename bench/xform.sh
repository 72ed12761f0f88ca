#!/bin/bash
# bench/xform.sh [BIN_DIR] - quote-xform against the jq command.
#
# 1M quote lines (invented values, the shape of CNN's quotes) through the
# same programs with `quote-xform` and `jq -c` (the same libjq 1.6), side
# by side; prints both rates, the ratio and peak RSS, and checks that both
# printed the same records.
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
LINES=${LINES:-1000000}
W=$(mktemp -d /tmp/qp-xbench.XXXXXX)
trap 'rm -rf "$W"' EXIT

awk -v n="$LINES" 'BEGIN {
	split("Americas Asia-Pacific Europe", reg, " ")
	for (i = 0; i < n; i++) {
		s = i % 4000
		printf "{\"name\":\"Index %d\",\"symbol\":\"SYM-%04d\",\"current_price\":%d.%08d,\"prev_close_price\":%d.%07d,\"price_change_from_prev_close\":-%d.%014d,\"percent_change_from_prev_close\":-0.00%015d,\"prev_close_date\":\"2023-05-11\",\"sort_order_index\":%d,\"last_updated\":\"2023-05-12T21:16:%02d.%06d+00:00\",\"event_timestamp\":\"2023-05-12T21:16:26+00:00\",\"status\":\"UNKNOWN\",\"next_status\":\"UNKNOWN\",\"next_status_change\":\"2023-05-12T13:30:21.109002+00:00\",\"country\":{\"name\":\"Country %d\",\"code\":\"C%02d\",\"region\":\"%s\"},\"refresh_interval_in_seconds\":0}\n", s, s, 1000 + i % 9000, i % 100000000, 1000 + i % 9000, i % 10000000, i % 100, i, i, s % 77, i % 60, i % 1000000, s % 50, s % 50, reg[s % 3 + 1]
	}
}' >"$W/quotes.jsonl"
BYTES=$(wc -c <"$W/quotes.jsonl")
"$BIN/quote-xform" --print-default >"$W/clean.jq"
printf 'select(.current_price > 5000) | {symbol, current_price, region: .country.region}\n' >"$W/select.jq"
printf 'select(.country.region == "Europe")\n' >"$W/filter.jq"

mbps() { echo "scale=1; $BYTES / 1048576 / $1" | bc; }
timed() {	# timed OUT CMD...: prints "seconds peakRSS_KB"
	local out=$1; shift
	/usr/bin/time -f '%e %M' -o "$W/time" "$@" <"$W/quotes.jsonl" >"$out"
	cat "$W/time"
}
echo "data: $LINES lines, $(echo "scale=1; $BYTES / 1048576" | bc) MB; $(jq --version) and quote-xform on libjq 1.6"
for prog in clean select filter; do
	read -r tq mq < <(timed "$W/qx.out" "$BIN/quote-xform" -f "$W/$prog.jq")
	read -r tj mj < <(timed "$W/jq.out" jq -c -f "$W/$prog.jq")
	if cmp -s "$W/qx.out" "$W/jq.out"; then same="same output"
	# quote-xform passes unchanged records through with their own
	# number text; jq -c reprints them.  Same values, then?
	elif jq -c . "$W/qx.out" | cmp -s - "$W/jq.out"; then
		same="same records (quote-xform kept the input's number text)"
	else same="OUTPUT DIFFERS"; fi
	printf '%-7s quote-xform %6.2f s %7s MB/s RSS %6d KB | jq -c %6.2f s %7s MB/s RSS %6d KB | ratio %s, %s\n' \
	    "$prog" "$tq" "$(mbps "$tq")" "$mq" "$tj" "$(mbps "$tj")" "$mj" \
	    "$(echo "scale=2; $tj / $tq" | bc)" "$same"
done
