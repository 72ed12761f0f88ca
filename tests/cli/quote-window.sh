# quote-window: event-time bars per symbol, checked against pandas (the
# original project's library) on 120k invented quotes over 60 symbols
# that arrive out of order within the lateness; late records counted and
# set aside, never folded in; envelopes and their Kafka timestamps; bad
# input said with its line.
. "$QP_ROOT/tests/lib.sh"
wcheck() { /usr/bin/python3 "$QP_ROOT/tests/cli/windowcheck.py" "$@"; }
wcheck gen 120000 60 20 "$T/q"
NQ=$(wc -l <"$T/q")

quote-window --lateness 20s <"$T/q" >"$T/bars" 2>"$T/err"; rc=$?
wcheck check "$T/q" "$T/bars" 60 60 >"$T/cmp"; crc=$?
is "tumbling 1m, lateness 20s: exit 0, every bar equals pandas's resample('60s').ohlc(), count, mean, std" \
    "$rc $crc $(cat "$T/cmp")" "0 0 16724 bars, 16724 from pandas, 0 differences"
is "  ... no record late, all $NQ counted once" \
    "$(grep -c late "$T/err") $(jq -s 'map(.count) | add' "$T/bars")" "0 $NQ"
quote-window --lateness 20s --size 5m --slide 1m <"$T/q" >"$T/hop" 2>"$T/err"; rc=$?
wcheck check "$T/q" "$T/hop" 300 60 >"$T/cmp"; crc=$?
is "hopping 5m every 1m: exit 0, every bar equals pandas's (five resamples, offset 0-4 min)" \
    "$rc $crc $(cat "$T/cmp")" "0 0 16979 bars, 16979 from pandas, 0 differences"
quote-window --lateness 20s --top 5 <"$T/q" >"$T/top" 2>"$T/err"; rc=$?
wcheck top "$T/q" "$T/top" 60 5 >"$T/cmp"; crc=$?
is "--top 5: each window's five largest movers by |pct_change| are pandas's" \
    "$rc $crc $(cat "$T/cmp")" "0 0 279 top lines, 279 windows from pandas, 0 differences"
is "  ... and each top line follows its window's bars" \
    "$(jq -r 'if .type == "top" then "T" + .window_start else .window_start end' "$T/top" |
      awk '/^T/ { if (substr($0, 2) != last) bad++; next } { last = $0 } END { print bad + 0 }')" 0
quote-window --lateness 20s <"$T/q" >"$T/bars2" 2>/dev/null
same_file "the same input twice: the same bytes" "$T/bars2" "$T/bars"

# Records from long before the watermark: late, counted, set aside.
cp "$T/q" "$T/q3"
for s in 1 2 3; do
	echo "{\"symbol\":\"SYM-00$s\",\"current_price\":1.5,\"last_updated\":\"2023-05-12T13:3$s:00Z\"}"
done >"$T/late3"
cat "$T/late3" >>"$T/q3"
quote-window --lateness 20s --late "$T/late.out" <"$T/q3" >"$T/bars3" 2>"$T/err"; rc=$?
is "three records after their windows closed: exit 0, said, written to --late, the bars unchanged" \
    "$rc $(grep -c '3 late records (their windows had closed: --lateness) written to' "$T/err") $(cmp -s "$T/late.out" "$T/late3" && echo same) $(cmp -s "$T/bars3" "$T/bars" && echo same)" \
    "0 1 same same"
# No lateness on out-of-order input: many late, none folded in.
quote-window <"$T/q" >"$T/bars0" 2>"$T/err"; rc=$?
late=$(grep -o '[0-9]* late records' "$T/err" | cut -d' ' -f1)
is "no --lateness on out-of-order input: late records said, and counted in no bar" \
    "$rc $([ "${late:-0}" -gt 1000 ] && echo many) $(( $(jq -s 'map(.count) | add' "$T/bars0") + ${late:-0} ))" "0 many $NQ"
wcheck check "$T/q" "$T/bars0" 60 60 >"$T/cmp"
grep_file "  ... so the bars differ from pandas's, and the check says so" "[1-9][0-9]* differences" "$T/cmp"

# --alert: once per crossing, checked against pandas's bars.
quote-window --lateness 20s --alert '.pct_change > 5' <"$T/q" >"$T/al" 2>"$T/err"; rc=$?
wcheck alerts "$T/q" "$T/al" 60 5 >"$T/cmp"; crc=$?
is "--alert '.pct_change > 5': an alert exactly where a symbol's bar crosses above 5%, per pandas" \
    "$rc $crc $(sed 's/^[0-9]* alerts, //' "$T/cmp")" "0 0 1425 crossings from pandas, 0 missing, 0 extra"
a() { printf '{"symbol":"A","last_updated":"2023-05-12T21:%02d:%02dZ","current_price":%s}\n' "$1" "$2" "$3"; }
{ a 0 1 10; a 0 2 11; a 1 1 10; a 1 2 12; a 2 1 10; a 2 2 9; a 3 1 10; a 3 2 11; } |
    quote-window --alert '.pct_change > 5' --alert '.close < .open' --alert 'error("boom")' \
    >"$T/al" 2>"$T/err"; rc=$?
is "  ... two alerts: each fires on the crossing, not while it stays true; ids per bar and alert" \
    "$rc $(jq -r 'select(.type == "alert") | .id' "$T/al" | tr '\n' ' ')" \
    "0 A@2023-05-12T21:00:00Z#1 A@2023-05-12T21:02:00Z#2 A@2023-05-12T21:03:00Z#1 "
is "  ... a filter that errs is taken as false, said once" \
    "$(grep -cF "alert 'error(\"boom\")': jq: error: boom (taken as false; said once)" "$T/err")" 1
quote-window --alert '.pct_change >' </dev/null 2>"$T/err"; rc=$?
is "  ... a filter that does not compile: a usage error, said" "$rc $(grep -c 'does not compile' "$T/err")" "64 1"

# --idle: a stream that stops (markets close) closes its windows by the
# clock, without another record; a record for them after that is late.
rm -f "$T/fifo"; mkfifo "$T/fifo"
quote-window --idle 1 <"$T/fifo" >"$T/idle" 2>"$T/err" &
qp=$!
exec 8>"$T/fifo"
printf '%s\n' '{"symbol":"A","last_updated":"2023-05-12T21:16:26Z","current_price":1}' \
    '{"symbol":"B","last_updated":"2023-05-12T21:16:27Z","current_price":2}' >&8
wait_for 10 test -s "$T/idle"
is "--idle 1: with no record for a second and the input still open, the windows close" \
    "$(jq -c '[.symbol, .count]' "$T/idle" | tr '\n' ' ')" '["A",1] ["B",1] '
printf '%s\n' '{"symbol":"A","last_updated":"2023-05-12T21:16:40Z","current_price":3}' \
    '{"symbol":"A","last_updated":"2023-05-12T21:17:01Z","current_price":4}' >&8
exec 8>&-
wait "$qp"; rc=$?
is "  ... a record for a window closed so is late; later ones count" \
    "$rc $(grep -c '1 late records' "$T/err") $(jq -c '[.symbol, .window_start, .count]' "$T/idle" | tr '\n' ' ')" \
    '0 1 ["A","2023-05-12T21:16:00Z",1] ["B","2023-05-12T21:16:00Z",1] ["A","2023-05-12T21:17:00Z",1] '

# The bar itself: prices as the record wrote them, the derived fields.
printf '%s\n' '{"symbol":"A","last_updated":"2023-05-12T21:16:26+02:00","current_price":10.50,"v":100}' \
    '{"symbol":"A","last_updated":"2023-05-12T19:16:59.5Z","current_price":12.00,"v":300}' \
    '{"symbol":"A","last_updated":"2023-05-12 19:16:26","current_price":11,"v":0}' \
    '{"symbol":"A","last_updated":1683918986000,"current_price":9,"v":100}' |
    quote-window --volume .v >"$T/one" 2>"$T/err"; rc=$?
is "one bar: ISO with zones, no zone (UTC), epoch ms; open/close by event time, equal times by arrival" \
    "$rc $(cat "$T/one")" \
    '0 {"type":"bar","symbol":"A","window_start":"2023-05-12T19:16:00Z","window_end":"2023-05-12T19:17:00Z","count":4,"open":10.50,"high":12.00,"low":9,"close":12.00,"mean":10.625,"stddev":1.08253175473055,"change":1.5,"pct_change":14.2857142857143,"vwap":11.1,"id":"A@2023-05-12T19:16:00Z"}'
printf '%s\n' '{"s":{"k":7},"t":"2023-05-12T00:00:01Z","p":1}' |
    quote-window --key '.s.k' --time .t --price .p --size 90 --align 30s >"$T/one" 2>&1
is "--key, --time, --price, --size 90, --align 30s; a number as the key" "$(jq -c '[.k, .window_start, .window_end, .id]' "$T/one")" \
    '[7,"2023-05-11T23:59:00Z","2023-05-12T00:00:30Z","7@2023-05-11T23:59:00Z"]'

printf '%s\n' '{"symbol":"A","last_updated":"2023-05-12T21:16:26Z","current_price":1}' \
    '{"symbol":"\u0041","last_updated":"2023-05-12T21:16:27Z","current_price":2}' | quote-window >"$T/one" 2>&1
is "a key spelled with an escape is the same key" "$(jq -c '[.symbol, .count]' "$T/one")" '["A",2]'

# Envelopes (kcons -J): the value is the record; @kafka takes the
# envelope's timestamp.
printf '%s\n' '{"topic":"q","partition":0,"offset":5,"timestamp":1683926186000,"key":"A","headers":{},"value":{"symbol":"A","current_price":3,"last_updated":"2001-01-01"}}' \
    '{"topic":"q","partition":0,"offset":6,"timestamp":1683926246000,"key":"A","headers":{},"value":{"symbol":"A","current_price":4,"last_updated":"2001-01-01"}}' |
    quote-window --time @kafka >"$T/env" 2>"$T/err"; rc=$?
is "envelopes with --time @kafka: bars by the Kafka timestamp" \
    "$rc $(jq -c '[.window_start, .count, .open]' "$T/env" | tr '\n' ' ')" \
    '0 ["2023-05-12T21:16:00Z",1,3] ["2023-05-12T21:17:00Z",1,4] '

# Bad input: said with its line, counted, the rest kept.
printf '%s\n' '{"symbol":"A","last_updated":"2023-05-12T21:16:26Z","current_price":1}' \
    '{"symbol":"A","last_updated":"2023-05-12T21:16:27Z"}' \
    '{"symbol":"A","last_updated":"2023-13-12T21:16:27Z","current_price":1}' \
    '{"last_updated":"2023-05-12T21:16:27Z","current_price":1}' \
    '{"symbol":"A","last_updated":"2023-05-12T21:16:28Z","current_price":"1"}' \
    '{"symbol":"A","last_updated":"2023-05-12T21:16:28Z",' \
    '{"symbol":"A","current_price":2,"last_updated":"2023-05-12T21:16:29Z"}' |
    quote-window >"$T/out" 2>"$T/err"; rc=$?
is "bad records: exit 65; each said with its line; the good ones in the bar" \
    "$rc $(grep -c '<stdin>:2: no price at --price' "$T/err") $(grep -c '<stdin>:3: no time at --time' "$T/err") $(grep -c '<stdin>:4: no key at --key' "$T/err") $(grep -c '<stdin>:5: no price' "$T/err") $(grep -c '<stdin>:6: ' "$T/err") $(jq -c '[.count, .close]' "$T/out")" \
    "65 1 1 1 1 1 [2,2]"
printf '%s\n' '{"symbol":"A","current_price":1,"last_updated":"2023-05-12"}' |
    quote-window --time @kafka >/dev/null 2>"$T/err"; rc=$?
is "--time @kafka on a record that is no envelope: a bad line" \
    "$rc $(grep -c '<stdin>:1: --time @kafka: not a Kafka envelope' "$T/err")" "65 1"
quote-window --size 1m --slide 2m </dev/null 2>"$T/err"; rc=$?
is "--slide longer than --size: a usage error, said" "$rc $(grep -c 'slide is longer than --size' "$T/err")" "64 1"
quote-window --size 5x </dev/null 2>"$T/err"; rc=$?
is "a duration it does not read: a usage error, said" "$rc $(grep -c -- '--size 5x: expected a duration' "$T/err")" "64 1"
quote-window --max-keys 10 <"$T/q" >/dev/null 2>"$T/err"; rc=$?
is "--max-keys 10 with 60 symbols: exit 70, said once with the key" \
    "$rc $(grep -c 'more than 10 keys (--max-keys)' "$T/err")" "70 1"
quote-window </dev/null >"$T/out" 2>&1; rc=$?
is "no input: no bars, exit 0" "$rc $(wc -c <"$T/out")" "0 0"
quote-window --lateness 20s <"$T/q" 2>"$T/err" | head -1 >/dev/null
is "a reader that goes away: exit 0, quietly" "${PIPESTATUS[0]} $(wc -c <"$T/err")" "0 0"
done_testing
