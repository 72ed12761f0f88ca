#!/bin/bash
# bench/window.sh [BIN_DIR] - quote-window against pandas, the original
# project's library, on the same quotes.
#
# 1M quote lines (invented values, 500 symbols, about 10 a second, in
# event-time order with a little jitter): one-minute bars per symbol,
# end to end from the JSON lines, by quote-window and by pandas
# (read_json(lines=True), the times parsed, resample('1min').ohlc() and
# count/mean/std per symbol), alternating, RUNS times each: medians and
# the ratio.  Then quote-window's peak RSS on 1M and on 10M records: it
# must not grow with the records (state is per key and open window).
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
RUNS=${RUNS:-3}
W=$(mktemp -d /tmp/qp-winbench.XXXXXX)
trap 'rm -rf "$W"' EXIT

quotes() {	# quotes N: N quote lines
	awk -v n="$1" 'BEGIN {
		srand(7); t = 1683898200000
		for (i = 0; i < n; i++) {
			t += int(rand() * 200); s = i % 500
			printf "{\"symbol\":\"SYM-%04d\",\"name\":\"Index %d\",\"current_price\":%d.%02d,\"prev_close_price\":1000.5,\"last_updated\":%.0f,\"country\":{\"code\":\"C%02d\"}}\n", s, s, 1000 + (i * 7 + s) % 997, (i * 13) % 100, t + int(rand() * 50), s % 50
		}
	}'
}
quotes 1000000 >"$W/1m.jsonl"
cat >"$W/bars_pandas.py" <<'EOF'
import sys
import pandas as pd
df = pd.read_json(sys.argv[1], lines=True, dtype={"symbol": str})
df["t"] = pd.to_datetime(df["last_updated"], unit="ms", utc=True)
g = df.set_index("t").sort_index(kind="stable").groupby("symbol")["current_price"].resample("1min")
out = pd.concat([g.ohlc(), g.count().rename("count"), g.mean().rename("mean"),
                 g.std(ddof=0).rename("stddev")], axis=1)
out = out[out["count"] > 0]
out.reset_index().to_json(sys.argv[2], orient="records", lines=True, date_format="iso")
print(len(out), file=sys.stderr)
EOF
timed() {	# timed OUT CMD...: CMD >OUT; prints "seconds peakRSS_KB"
	local out=$1; shift
	/usr/bin/time -f '%e %M' -o "$W/time" "$@" >"$out" ||
	    { echo "failed: $*" >&2; tail -3 "$W/time" >&2; exit 1; }
	cat "$W/time"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mb=$(echo "scale=1; $(wc -c <"$W/1m.jsonl") / 1048576" | bc)
echo "data: 1000000 lines, $mb MB, 500 symbols; one-minute bars"
: >"$W/qw.t"; : >"$W/pd.t"
for r in $(seq "$RUNS"); do
	read -r s m < <(timed "$W/qw.out" "$BIN/quote-window" --lateness 1s "$W/1m.jsonl")
	echo "$s $m" >>"$W/qw.t"
	read -r s m < <(timed /dev/null /usr/bin/python3 "$W/bars_pandas.py" "$W/1m.jsonl" "$W/pd.out" 2>"$W/pd.err")
	echo "$s $m" >>"$W/pd.t"
done
bars=$(wc -l <"$W/qw.out"); pbars=$(wc -l <"$W/pd.out")
[ "$bars" = "$pbars" ] || { echo "quote-window wrote $bars bars, pandas $pbars"; exit 1; }
qs=$(cut -d' ' -f1 "$W/qw.t" | median); ps=$(cut -d' ' -f1 "$W/pd.t" | median)
qm=$(cut -d' ' -f2 "$W/qw.t" | median); pm=$(cut -d' ' -f2 "$W/pd.t" | median)
printf 'quote-window  median %6.2f s  %7s MB/s  peak RSS %6d KB  (%d bars)\n' "$qs" \
    "$(echo "scale=1; $mb / $qs" | bc)" "$qm" "$bars"
printf 'pandas        median %6.2f s  %7s MB/s  peak RSS %6d KB  (%d bars)\n' "$ps" \
    "$(echo "scale=1; $mb / $ps" | bc)" "$pm" "$pbars"
echo "ratio (pandas time / quote-window time): $(echo "scale=1; $ps / $qs" | bc)"
# Memory flat in the records: 10M, streamed (not stored).
read -r s m10 < <(for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$W/1m.jsonl"; done |
    awk -F'"last_updated":' 'BEGIN { OFS = "\"last_updated\":" }
	{ split($2, a, ","); $2 = sprintf("%.0f", a[1] + 200000 * 1000 * int((NR - 1) / 1000000)) substr($2, length(a[1]) + 1); print }' |
    timed /dev/null "$BIN/quote-window" --lateness 1s)
echo "quote-window peak RSS: $qm KB on 1M records, $m10 KB on 10M ($s s)"
