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
# --emit every=30s: running updates marked "update", by event time; the
# bars themselves unchanged.
quote-window --lateness 20s --emit every=30s <"$T/q" >"$T/emit" 2>"$T/err"; rc=$?
grep '^{"type":"bar",' "$T/emit" >"$T/emit.bars"
is "--emit every=30s: exit 0; the bars are those without it" \
    "$rc $(cmp -s "$T/emit.bars" "$T/bars" && echo same)" "0 same"
# Each update: the window is still open (the update comes before its bar),
# it counts no more than the bar, and its id is the bar's.
is "  ... updates come before their bar, count no more, share its id; some count less" \
    "$(jq -rs 'reduce .[] as $l ({}; if $l.type == "update" then
        .u[$l.id] = $l.count | .n += 1 else
        (if .u[$l.id] != null then .seen += 1 | (if .u[$l.id] > $l.count then .bad += 1
         elif .u[$l.id] < $l.count then .less += 1 else . end) else . end) | .closed[$l.id] = 1 end)
        | "\(.n > 1000) \(.seen > 1000) \(.bad // 0) \(.less > 100)"' "$T/emit")" "true true 0 true"
is "  ... no update after its window's bar" \
    "$(jq -rs 'reduce .[] as $l ({}; if $l.type == "bar" then .c[$l.id] = 1
        elif .c[$l.id] != null then .bad += 1 else . end) | .bad // 0' "$T/emit")" 0
quote-window --lateness 20s --emit every=30s <"$T/q" 2>/dev/null | cmp -s - "$T/emit"
check "  ... the same input: the same updates (event time, not the clock)" test $? -eq 0

# --state: a run stopped and started again gives the bars of one run.
QWO=(--lateness 20s --top 3 --alert '.pct_change > 0.5' --alert '.count >= 60')
quote-window "${QWO[@]}" <"$T/q" >"$T/one" 2>/dev/null
head -n 50000 "$T/q" >"$T/qa"; tail -n +50001 "$T/q" >"$T/qb"
quote-window "${QWO[@]}" --state "$T/st" "$T/qa" >"$T/two" 2>"$T/err"; rc1=$?
quote-window -v "${QWO[@]}" --state "$T/st" --drain "$T/qb" >>"$T/two" 2>"$T/err2"; rc2=$?
is "--state, the input in two runs (--top, two --alerts): exit 0, 0; the bytes of one run" \
    "$rc1 $rc2 $(cmp -s "$T/two" "$T/one" && echo same) $(grep -c '"type":"alert"' "$T/one" | awk '$1 > 10 { print "alerts" }')" \
    "0 0 same alerts"
is "  ... the second run said what it went on from" "$(grep -c -- '--state .*/st: [0-9]* open windows' "$T/err2")" 1
quote-window "${QWO[@]}" --state "$T/st" </dev/null >"$T/out" 2>"$T/err"; rc=$?
is "  ... a third run: nothing open, nothing written" "$rc $(wc -c <"$T/out")" "0 0"
# SIGTERM: the open windows go into the state, no partial bar is written.
rm -f "$T/st"
mkfifo "$T/qfifo"
quote-window "${QWO[@]}" --state "$T/st" --checkpoint 100ms <"$T/qfifo" >"$T/two" 2>"$T/err" &
QWP=$!
exec 7>"$T/qfifo"
cat "$T/qa" >&7
wait_for 20 grep -qs "^acc " "$T/st"
kill -TERM "$QWP"; wait "$QWP"; rc1=$?; exec 7>&-
quote-window "${QWO[@]}" --state "$T/st" --drain "$T/qb" >>"$T/two" 2>/dev/null; rc2=$?
is "--state, SIGTERM mid-stream: exit 0; its windows wait in the state; the next run's bars complete it" \
    "$rc1 $rc2 $(cmp -s "$T/two" "$T/one" && echo same)" "0 0 same"
quote-window --size 5m --state "$T/st" </dev/null >/dev/null 2>"$T/err"; rc=$?
is "--state written with other options: exit 78, said" \
    "$rc $(grep -c 'written with other --size (60000000, this run 300000000)' "$T/err")" "78 1"
head -n 3 "$T/st" >"$T/st.cut"
quote-window "${QWO[@]}" --state "$T/st.cut" </dev/null >/dev/null 2>"$T/err"; rc=$?
is "a state file cut short: exit 65, said with its line" \
    "$rc $(grep -c 'st.cut:3: not a checkpoint quote-window wrote (cut short, or edited)' "$T/err")" "65 1"
quote-window --state "$T/no/such/dir/st" "$T/qa" >"$T/out" 2>"$T/err"; rc=$?
is "a state in a directory that is not there: exit 73 at the start, said" \
    "$rc $(grep -c 'state .*/no/such/dir/st.lock: No such file or directory' "$T/err") $(wc -c <"$T/out")" "73 1 0"
mkdir "$T/stdir.tmp"
quote-window --lateness 20s --state "$T/stdir" --checkpoint 1ms "$T/qa" >"$T/out" 2>"$T/err"; rc=$?
is "a checkpoint that cannot be written: exit 73, said; the windows closed before it are out, no more" \
    "$rc $(grep -c 'state .*/stdir: Is a directory' "$T/err") $(cmp -s "$T/out" <(head -c "$(wc -c <"$T/out")" "$T/bars") && echo prefix)" \
    "73 1 prefix"
exec 8>"$T/st.lock"; flock 8
timeout 4 quote-window "${QWO[@]}" --state "$T/st" </dev/null >/dev/null 2>"$T/err"; rc=$?
exec 8>&-
is "a state another run holds: exit 75 at once, said" \
    "$rc $(grep -c 'another quote-window runs with it' "$T/err")" "75 1"
# The restart's edges: --idle counts from the start, not from 0; --drain
# does not close on an error stop; --late goes on with the last file.
rm -f "$T/st"
quote-window "${QWO[@]}" --idle 1h --state "$T/st" "$T/qa" >"$T/two" 2>/dev/null
quote-window "${QWO[@]}" --idle 1h --state "$T/st" --drain "$T/qb" >>"$T/two" 2>"$T/err"; rc=$?
is "--state with --idle 1h: the restart closes nothing at once; the bars of one run" \
    "$rc $(grep -c 'idle' "$T/err") $(cmp -s "$T/two" "$T/one" && echo same)" "0 0 same"
rm -f "$T/st"
awk 'NR == 60000 { sub(/"current_price":[0-9.]+,/, "") } { print }' "$T/q" >"$T/qbad"
quote-window "${QWO[@]}" --state "$T/st" --drain --on-error fail "$T/qbad" >"$T/two" 2>"$T/err"; rc1=$?
quote-window "${QWO[@]}" --state "$T/st" --drain <(tail -n +60000 "$T/q") >>"$T/two" 2>/dev/null; rc2=$?
is "--drain, a run stopped by --on-error fail at line 60000: windows kept; the next run from there completes the bars" \
    "$rc1 $rc2 $(grep -c ':60000: no price' "$T/err") $(cmp -s "$T/two" "$T/one" && echo same)" "65 0 1 same"
rm -f "$T/st" "$T/late.2"
quote-window --lateness 20s --state "$T/st" --late "$T/late.2" "$T/q3" >/dev/null 2>&1
quote-window --lateness 20s --state "$T/st" --late "$T/late.2" "$T/late3" >/dev/null 2>&1
is "--late with --state: the next run appends to it" "$(cat "$T/late3" "$T/late3" | cmp -s - "$T/late.2" && echo appended)" appended
rm -f "$T/st"
quote-window "${QWO[@]}" --state "$T/st" "$T/q" 2>"$T/err" | head -1 >/dev/null
is "--state, a reader that goes away: exit 0, quietly, no checkpoint of bars not delivered" \
    "${PIPESTATUS[0]} $(wc -c <"$T/err") $(test -e "$T/st" && echo state)" "0 0 "
quote-window --state "$T/st2" "$T/qa" >/dev/null 2>&1
sed -i 's/^window \([0-9]*\)000000$/window \1000001/' "$T/st2"
quote-window --state "$T/st2" </dev/null >/dev/null 2>"$T/err"; rc=$?
is "a state whose window is off the windows' grid: exit 65, said" \
    "$rc $(grep -c 'st2:[0-9]*: not a checkpoint quote-window wrote' "$T/err")" "65 1"
quote-window --state "$T/st2.y" "$T/qa" >/dev/null 2>&1
quote-window --state "$T/st2.y" --time .seq </dev/null >/dev/null 2>"$T/err"; rc=$?
is "a state written with another --time: exit 78, said" \
    "$rc $(grep -c 'written with another --time' "$T/err")" "78 1"
quote-window --acks "$T/acks" </dev/null 2>"$T/err"; rc=$?
is "--acks without --state: a usage error, said" "$rc $(grep -c -- '--acks needs --state FILE' "$T/err")" "64 1"

# Envelopes with --state: a restart skips the offsets the state counted;
# acks after each checkpoint (kcons --commit-acks's); a revoke answered.
head -n 300 "$T/q" | awk '{ printf "{\"topic\":\"quotes\",\"partition\":%d,\"offset\":%d,\"timestamp\":null,\"key\":null,\"headers\":{},\"value\":%s}\n", NR % 2, int((NR - 1) / 2), $0 }' >"$T/env"
quote-window --lateness 20s <"$T/env" >"$T/env.one" 2>/dev/null
rm -f "$T/st"
head -n 200 "$T/env" >"$T/env.a"
echo '{"control":"revoke","id":7,"topic":"quotes","partition":1}' >>"$T/env.a"
quote-window --lateness 20s --state "$T/st" --acks "$T/acks" "$T/env.a" >"$T/env.two" 2>"$T/err"; rc=$?
is "envelopes, --acks: a revoke answered after an ack of each partition up to it; the last checkpoint acks nothing more" \
    "$rc $(jq -c '[.control, .id, .topic, .partition, .first_offset, .last_offset, .records]' "$T/acks" | sort | tr '\n' ' ')" \
    '0 ["revoked",7,"quotes",1,null,null,null] [null,null,"quotes",0,0,99,100] [null,null,"quotes",1,0,99,100] '
is "  ... the answer comes after the acks" "$(tail -n 1 "$T/acks" | jq -r .control)" revoked
quote-window -v --lateness 20s --state "$T/st" --acks "$T/acks" --drain "$T/env" >>"$T/env.two" 2>"$T/err"; rc=$?
is "  ... the whole input again: the 200 counted are skipped; the bars of one run" \
    "$rc $(grep -c '200 records skipped' "$T/err") $(cmp -s "$T/env.two" "$T/env.one" && echo same)" "0 1 same"
is "  ... its acks: offsets 100-149 of each partition" \
    "$(jq -c '[.partition, .first_offset, .last_offset, .records]' "$T/acks" | sort | tr '\n' ' ')" '[0,100,149,50] [1,100,149,50] '
done_testing
