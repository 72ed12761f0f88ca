# kprod: what kcat reads back, bad input, reports, faults and idempotence.
. "$QP_ROOT/tests/lib.sh"
kmock_start -t kv:3 -t bad:1 -t rt:8

# --- kprod -> kcat: values, keys (top-level and nested), headers
cat >"$T/in" <<'X'
{"symbol":"COMP-USA","current_price":12284.74316868,"country":{"code":"USA"}}
{"symbol":"UKX-GBR","current_price":7754.62,"country":{"code":"GBR"},"big":12345678901234567890,"e":1e300}
{"symbol":"N225-JPN","current_price":29388.3,"country":{"code":"JPN"},"s":"caf\u00e9 ☕"}
X
kprod -b "$BROKERS" -t kv -k .symbol -H source=cnn -H run=7 "$T/in"; rc=$?
is "kprod exits 0 when every message is acknowledged" "$rc" 0
kcat -C -b "$BROKERS" -t kv -e -q -f '%k\t%h\t%s\n' | sort >"$T/got"
awk -F'"' '{ print $4 "\tsource=cnn,run=7\t" $0 }' "$T/in" | sort >"$T/want"
same_file "kcat reads the same values, keys (-k .symbol) and headers" "$T/got" "$T/want"
kprod -b "$BROKERS" -t kv -p 0 -k .country.code "$T/in"
kcat -C -b "$BROKERS" -t kv -p 0 -e -q -f '%k\n' | tail -3 >"$T/got"
printf 'USA\nGBR\nJPN\n' >"$T/want"
same_file "-k .country.code takes a nested key; -p 0 keeps them in order" "$T/got" "$T/want"

# --- the partitioner: murmur2, as kafka-python and the Java clients.  Both
# writing the same 50 keys to one topic: each key on one partition.
# pyprod TOPIC: kafka-python (the original project's client) sends one
# message for each of the 50 keys of quote_lines, by its default partitioner.
pyprod() {
	/usr/bin/python3 - "$BROKERS" "$1" <<'X'
import json, sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1].split(","), api_version=(2, 5, 0), acks="all")
for i in range(50):
    k = "SYM-%04d" % i
    p.send(sys.argv[2], key=k.encode(), value=json.dumps({"symbol": k, "by": "kafka-python"}).encode())
p.flush()
p.close()
X
}
# split TOPIC: how many keys are on more than one partition, how many keys,
# partitions used, messages.
split() {
	kcat -C -b "$BROKERS" -t "$1" -e -q -f '%k %p\n' >"$T/kp"
	echo "$(sort -u "$T/kp" | awk '{ print $1 }' | uniq -d | wc -l) $(awk '{ print $1 }' "$T/kp" | sort -u | wc -l)" \
	    "$(awk '{ print $2 }' "$T/kp" | sort -u | wc -l) $(wc -l <"$T/kp")"
}
quote_lines 100 50 >"$T/50keys"
kmock_ctl topic mixed 6
pyprod mixed && kprod -b "$BROKERS" -t mixed -k .symbol "$T/50keys"
is "kafka-python and kprod writing the same 50 keys: every key on one partition (of 6 used), 150 messages" \
    "$(split mixed)" "0 50 6 150"
kmock_ctl topic mixed-crc 6
pyprod mixed-crc && kprod -b "$BROKERS" -t mixed-crc -k .symbol -X partitioner=consistent_random "$T/50keys"
set -- $(split mixed-crc)
is "  ... while with -X partitioner=consistent_random (CRC32, librdkafka's own default) keys split ($1 of 50)" \
    "$([ "$1" -gt 10 ] && echo split)" split

# --- compression: what kcat reads back is the same
kmock_ctl topic zipped 1
kprod -b "$BROKERS" -t zipped -z gzip -k .symbol "$T/in"; rc=$?
is "-z gzip: exit 0 and kcat reads the same values" \
    "$rc $(kcat -C -b "$BROKERS" -t zipped -e -q | md5sum)" "0 $(md5sum <"$T/in")"
kprod -b "$BROKERS" -t zipped -z nosuchcodec </dev/null 2>"$T/err"; rc=$?
is "-z with an unknown codec: exit 64 with librdkafka's text" \
    "$rc $(grep -c 'Invalid value' "$T/err")" "64 1"

# --- --report: one delivery report per message
printf '{"symbol":"A"}\n{"symbol":"B"}\n{"nokey":1}\n' |
    kprod -b "$BROKERS" -t kv -k .symbol -p 1 --report >"$T/rep"; rc=$?
is "--report exits 0" "$rc" 0
is "--report prints one JSON line per message with topic/partition/offset/key" \
    "$(sed 's/"offset":[0-9]*/"offset":N/' "$T/rep")" \
    '{"topic":"kv","partition":1,"offset":N,"key":"A"}
{"topic":"kv","partition":1,"offset":N,"key":"B"}
{"topic":"kv","partition":1,"offset":N,"key":null}'
o1=$(sed -n '1s/.*"offset":\([0-9]*\).*/\1/p' "$T/rep")
is "  ... and its offsets are where kcat finds the records" \
    "$(kcat -C -b "$BROKERS" -t kv -p 1 -o "$o1" -c 1 -e -q)" '{"symbol":"A"}'

# --- bad input
printf '{"ok":1}\n{"bad":}\n{"ok":2}\nNaN\n{"ok":3}\n' >"$T/mixed"
kprod -b "$BROKERS" -t bad "$T/mixed" 2>"$T/err"; rc=$?
is "malformed JSON: exit 65 (EX_DATAERR)" "$rc" 65
grep_file "  ... a one-line message naming file and line" \
    "^kprod: $T/mixed:2: invalid JSON at byte 8: unexpected character$" "$T/err"
grep_file "  ... and the other bad line" "^kprod: $T/mixed:4: invalid JSON" "$T/err"
grep_file "  ... both counted at the end" '^kprod: 2 bad lines skipped$' "$T/err"
is "  ... and every good line was delivered" \
    "$(kcons -b "$BROKERS" -t bad -e -q | tr '\n' ' ')" '{"ok":1} {"ok":2} {"ok":3} '

kprod -b "$BROKERS" -t bad --on-error=fail "$T/mixed" 2>"$T/err"; rc=$?
is "--on-error=fail: exit 65" "$rc" 65
is "  ... lines before the bad one are delivered, none after" \
    "$(kcons -b "$BROKERS" -t bad -e -q | tail -2 | tr '\n' ' ')" '{"ok":3} {"ok":1} '
kprod -b "$BROKERS" -t bad --on-error=skip "$T/mixed" 2>"$T/err"; rc=$?
is "--on-error=skip: exit 0, still reported on stderr" "$rc:$(grep -c invalid "$T/err")" "0:2"

{ echo '{"before":1}'; head -c 10485760 /dev/zero | tr '\0' 'x'; echo; echo '{"after":1}'; } >"$T/long"
kprod -b "$BROKERS" -t bad "$T/long" 2>"$T/err"; rc=$?
is "a 10 MB line: exit 65" "$rc" 65
grep_file "  ... named by line, not a crash" "^kprod: $T/long:2: line longer than 1048576 bytes$" "$T/err"
is "  ... its neighbours delivered" \
    "$(kcons -b "$BROKERS" -t bad -e -q | tail -2 | tr '\n' ' ')" '{"before":1} {"after":1} '
kprod -b "$BROKERS" -t bad --max-line 12M "$T/long" 2>"$T/err"; rc=$?
is "--max-line 12M lets it through to validation (still not JSON: 65)" "$rc:$(grep -c 'invalid JSON' "$T/err")" "65:1"

printf '{"s":"\xff\xfe"}\n{"s":"ok"}\n' | kprod -b "$BROKERS" -t bad 2>"$T/err"; rc=$?
is "invalid UTF-8: exit 65" "$rc" 65
grep_file "  ... <stdin>:1 and why" '^kprod: <stdin>:1: invalid JSON at byte 7: invalid UTF-8$' "$T/err"

kprod -b "$BROKERS" -t bad </dev/null 2>"$T/err"; rc=$?
is "empty input: exit 0, nothing said" "$rc:$(wc -c <"$T/err")" "0:0"
kprod -b "$BROKERS" -t bad "$T/nonexistent" 2>"$T/err"; rc=$?
is "a missing file: exit 66 (EX_NOINPUT)" "$rc" 66
grep_file "  ... with the file named" "^kprod: $T/nonexistent: No such file or directory$" "$T/err"
kprod -b "$BROKERS" -t bad -X no.such.property=1 </dev/null 2>"$T/err"; rc=$?
is "unknown -X property: exit 78 (EX_CONFIG)" "$rc" 78
grep_file "  ... with librdkafka's own text" \
    '^kprod: -X no.such.property=1: No such configuration property: "no.such.property"$' "$T/err"
kprod -t bad </dev/null 2>"$T/err"; rc=$?
is "no brokers anywhere: exit 64 with a hint" "$rc:$(grep -c KAFKA_BROKERS "$T/err")" "64:1"
echo '{"x":1}' | KAFKA_BROKERS=$BROKERS kprod -t bad; rc=$?
is "KAFKA_BROKERS is used when -b is absent" "$rc" 0
printf 'bootstrap.servers=%s\n# comment\n\nclient.id=from-file\n' "$BROKERS" >"$T/props"
echo '{"x":2}' | kprod -F "$T/props" -t bad; rc=$?
is "-F FILE sets librdkafka properties" "$rc" 0
printf 'client.id=x\nbogus.prop=1\n' >"$T/props"
kprod -F "$T/props" -t bad </dev/null 2>"$T/err"; rc=$?
is "-F with a bad property: exit 78, FILE:LINE named" "$rc:$(grep -c "$T/props:2: No such configuration property" "$T/err")" "78:1"
# Secrets never reach stderr (issue 10, 12): a typo'd -X or -F line is
# not echoed, a secret property's value is not shown, at any -v.
kprod -b "$BROKERS" -t bad -X sasl.password:hunter2 </dev/null 2>"$T/err"; rc=$?
is "-X without '=' (sasl.password:hunter2): exit 78, said, the argument not echoed" \
    "$rc $(grep -c "^kprod: -X (an argument without '=', not shown): expected property=value$" "$T/err") $(grep -c hunter2 "$T/err")" "78 1 0"
printf 'client.id=x\nsasl.password hunter2\n' >"$T/props"
kprod -b "$BROKERS" -t bad -F "$T/props" </dev/null 2>"$T/err"; rc=$?
is "  ... nor a -F line without '=': FILE:LINE named, the line not echoed" \
    "$rc $(grep -c "$T/props:2: expected property=value$" "$T/err") $(grep -c hunter2 "$T/err")" "78 1 0"
kcons -b "$BROKERS" -t bad -X sasl.password:hunter2 </dev/null 2>"$T/err"; rc=$?
is "  ... kcons too" "$rc $(grep -c hunter2 "$T/err")" "78 0"
kprod -b "$BROKERS" -t bad -X sasl.oauthbearer.config=hunter2 -X sasl.oauthbearer.method=bogus </dev/null 2>"$T/err"; rc=$?
is "  ... a bad value next to a secret one: the secret not shown" "$rc $(grep -c hunter2 "$T/err")" "78 0"
echo '{"a":1}' | kprod -b 127.0.0.1:1 -t bad -T 1 -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN \
    -X sasl.username=u -X sasl.password=hunter2 -X debug=conf,security,broker -vvv 2>"$T/err"; rc=$?
is "  ... nor at -vvv with librdkafka's debug output, which lists the configuration" \
    "$rc $(grep -c hunter2 "$T/err") $(grep -c 'sasl.password = \[redacted\]' "$T/err")" "69 0 1"
kprod -X list >"$T/list"; rc=$?
is "-X list prints librdkafka's properties" "$rc:$(grep -c '^message.timeout.ms' "$T/list")" "0:1"
printf 'not json\n{"a":\n' | kprod -b "$BROKERS" -t bad --raw; rc=$?
is "--raw produces lines as they are" \
    "$rc $(kcat -C -b "$BROKERS" -t bad -o -2 -e -q | tr '\n' '|')" '0 not json|{"a":|'

# --- kcat's habits: -P, a literal key, -K DELIM
echo '{"mode":"P"}' | kprod -P -b "$BROKERS" -t pmode; rc=$?
is "-P, pasted from kcat, is accepted: exit 0, the record produced" \
    "$rc $(kcat -C -b "$BROKERS" -t pmode -e -q)" '0 {"mode":"P"}'
kmock_ctl topic literal 1
printf '{"a":1}\n{"a":2}\n' | kprod -b "$BROKERS" -t literal --key-literal 'my key'; rc=$?
is "--key-literal 'my key': every message has that key (kcat -f %k)" \
    "$rc $(kcat -C -b "$BROKERS" -t literal -e -q -f '%k\n' | tr '\n' '|')" '0 my key|my key|'
kprod -b "$BROKERS" -t literal -k mykey </dev/null 2>"$T/err"; rc=$?
is "-k mykey (kcat's literal key): exit 64, one line that says what to use" "$rc $(cat "$T/err")" \
    "64 kprod: -k mykey: -k takes a field path such as .symbol; for the literal key mykey, as kcat's -k, use --key-literal mykey"
kprod -b "$BROKERS" -t literal -k .a -K : </dev/null 2>"$T/err"; rc=$?
is "  ... -k with -K: exit 64, said" "$rc $(grep -c '^kprod: -k takes the key from the record' "$T/err")" "64 1"
# The same lines through kcat -K : and kprod -K : read back the same:
# keys (non-ASCII, empty), values with the delimiter in them, and a line
# without the delimiter (no key, all value, as kcat has it).
cat >"$T/keyed" <<'X'
AAPL:{"p":1}
Zürich:{"s":"caf\u00e9","t":"a:b"}
:{"empty":"key"}
[1,2]
NOKEY:"x"
K:  {"spaced" : [1 , 2e3] }
X
kmock_ctl topic bykcat 1
kmock_ctl topic bykprod 1
kcat -P -b "$BROKERS" -t bykcat -K : <"$T/keyed"	# a FILE would be one message
kprod -P -b "$BROKERS" -t bykprod -K : "$T/keyed"; rc=$?
kcat -C -b "$BROKERS" -t bykcat -e -q -f '%k|%s\n' >"$T/want"
kcat -C -b "$BROKERS" -t bykprod -e -q -f '%k|%s\n' >"$T/got"
is "-K : exits 0" "$rc $(wc -l <"$T/got")" "0 6"
same_file "  ... and kcat reads back the same keys and values as kcat -K : wrote" "$T/got" "$T/want"
kcat -C -b "$BROKERS" -t bykcat -e -q -J | sed 's/"topic":"[a-z]*","partition":0,//; s/"ts":[0-9]*,"broker":[0-9]*,//' >"$T/want"
kcat -C -b "$BROKERS" -t bykprod -e -q -J | sed 's/"topic":"[a-z]*","partition":0,//; s/"ts":[0-9]*,"broker":[0-9]*,//' >"$T/got"
same_file "  ... null key for the line without ':', empty key for ':{...}' (kcat -J)" "$T/got" "$T/want"
printf 'k1\t{"a":1}\nk2\tnot json\n' | kprod -b "$BROKERS" -t bykprod -K '\t' 2>"$T/err"; rc=$?
is "-K '\\t' (kcat's spelling of a tab): the bad value is bad input, named at its byte in the line" \
    "$rc $(cat "$T/err" | head -1) $(kcat -C -b "$BROKERS" -t bykprod -o -1 -e -q -f '%k|%s')" \
    '65 kprod: <stdin>:2: invalid JSON at byte 4: unexpected character k1|{"a":1}'
printf 'k1:{"a":1}\n[2]\n' >"$T/keyed2"
kprod -b 127.0.0.1:1 -t none -T 1 -K : --failed "$T/failed" "$T/keyed2" 2>/dev/null; rc=$?
same_file "  ... undelivered: --failed has the lines as read, key and all (exit $rc)" "$T/failed" "$T/keyed2"

# --- --envelope: kcat -J and kcons -J lines produced again, with keys
# (null, empty, non-ASCII), headers (several, duplicates), timestamps
# (kcat's own and explicit ones), odd JSON and a tombstone.
kmock_ctl topic src 4
for t in viakcat viakcons pkcat pkcons; do kmock_ctl topic "$t" 4; done
printf 'AAPL:{"p":1}\nZürich:{ "s" : "caf\\u00e9 \\"q\\" \\\\ \\/", "n":12345678901234567890123, "f":-0.0e-7 }\n:"a string"\n' |
    kcat -P -b "$BROKERS" -t src -K : -H h1=v1 -H h1=v2 -H 'h2=x y'
printf '{"nokey":[ 1, {"b" : null} ]}\n' | kcat -P -b "$BROKERS" -t src -H solo=1
/usr/bin/python3 - "$BROKERS" <<'X'
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1].split(","), api_version=(2, 5, 0), acks="all")
p.send("src", key=b"T1", value=b'{"ts":"explicit"}', timestamp_ms=1500000000123,
       headers=[("a", b"1"), ("b", b""), ("a", b"3")])
p.send("src", key="Ünïcode".encode(), value=b"[true,false,null]", timestamp_ms=1683926186000, partition=3)
p.send("src", key=b"gone", value=None, timestamp_ms=1683926187000)
p.flush()
p.close()
X
kcat -C -b "$BROKERS" -t src -e -q -J >"$T/src.kcat"
kcons -b "$BROKERS" -t src -e -q -J >"$T/src.kcons"
# view TOPIC [keep]: what kcat -J says of each message but where it is
# (topic, broker; the partition and offset too unless keep), sorted.
view() {
	kcat -C -b "$BROKERS" -t "$1" -e -q -J | sed 's/"topic":"[a-z]*",//; s/"broker":[0-9]*,//' |
	    if [ -z "${2:-}" ]; then sed 's/"partition":[0-9]*,"offset":[0-9]*,//'; else cat; fi | sort
}
view src >"$T/want"
kprod -b "$BROKERS" -t viakcat --envelope "$T/src.kcat"; rc=$?
view viakcat >"$T/got"
is "kcat -C -J | kprod --envelope: exit 0, every message" "$rc $(wc -l <"$T/src.kcat")" "0 7"
same_file "  ... same keys, headers, timestamps and values as the source (kcat -J)" "$T/got" "$T/want"
kprod -b "$BROKERS" -t viakcons --envelope "$T/src.kcons"; rc=$?
view viakcons >"$T/got"
is "kcons -J | kprod --envelope: exit 0" "$rc" 0
same_file "  ... same keys, headers, timestamps and values as the source (kcat -J)" "$T/got" "$T/want"
kcat -C -b "$BROKERS" -t src -e -q -f '%p %o %k %T %h %s\n' | sort >"$T/want"
kprod -b "$BROKERS" -t pkcat --envelope -p envelope "$T/src.kcat"; rc1=$?
kprod -b "$BROKERS" -t pkcons --envelope -p envelope "$T/src.kcons"; rc2=$?
kcat -C -b "$BROKERS" -t pkcat -e -q -f '%p %o %k %T %h %s\n' | sort >"$T/got"
kcat -C -b "$BROKERS" -t pkcons -e -q -f '%p %o %k %T %h %s\n' | sort >"$T/got2"
is "-p envelope: exit 0 from both" "$rc1 $rc2" "0 0"
same_file "  ... the kcat -J mirror: same partitions and offsets (-f '%p %o %k %T %h %s')" "$T/got" "$T/want"
same_file "  ... the kcons -J mirror too" "$T/got2" "$T/want"
is "  ... the explicit timestamp kept (CreateTime)" \
    "$(grep -c ' T1 1500000000123 a=1,b=,a=3 {"ts":"explicit"}$' "$T/got2")" 1
is "  ... and the tombstone is one (kcat -J payload null)" \
    "$(view pkcons | grep -c '"key":"gone","payload":null}$')" 1
# Bad envelope lines: said with input and line, counted, the rest produced.
{ head -1 "$T/src.kcons"; echo '{"topic":"src","partition":0,"value":1}'; echo '{"a":'
  echo '{"topic":"src","partition":0,"offset":1,"headers":["odd"],"value":1}'; } >"$T/badenv"
kmock_ctl topic envbad 1
kprod -b "$BROKERS" -t envbad --envelope "$T/badenv" 2>"$T/err"; rc=$?
is "bad envelopes: exit 65, each named by input and line, the good one produced" \
    "$rc $(grep -c "^kprod: $T/badenv:2: not an envelope: an envelope needs topic" "$T/err") $(grep -c "^kprod: $T/badenv:3: invalid JSON" "$T/err") $(grep -c "^kprod: $T/badenv:4: not an envelope: \"headers\" has a name without a value" "$T/err") $(kcat -C -b "$BROKERS" -t envbad -e -q | wc -l)" \
    "65 1 1 1 1"
head -3 "$T/src.kcons" >"$T/env3"
kprod -b 127.0.0.1:1 -t none -T 1 --envelope -H x=1 --failed "$T/failed" "$T/env3" 2>/dev/null; rc=$?
same_file "undelivered envelopes: --failed has the envelope lines as read (exit $rc)" "$T/failed" "$T/env3"
kprod -b "$BROKERS" -t envbad -p envelope </dev/null 2>"$T/err"; rc=$?
is "-p envelope without --envelope: exit 64, said" "$rc $(grep -c '^kprod: -p envelope: only with --envelope' "$T/err")" "64 1"

# --- a --report reader that goes away: quiet, exit 0, and every line still
# produced (the reports are a side channel: stopping would leave lines read
# and never produced)
quote_lines 30000 100 >"$T/50k"
kmock_ctl topic gone 1
kprod -b "$BROKERS" -t gone --report "$T/50k" 2>"$T/err" | head -1 >"$T/first"
rc=${PIPESTATUS[0]}
kcons -b "$BROKERS" -t gone -e 2>/dev/null | cmp -s - "$T/50k" && all=all-produced
is "kprod --report ... | head -1: exit 0, nothing on stderr, the first report read, all 30000 produced" \
    "$rc $(wc -c <"$T/err") $(grep -c '^{"topic":"gone","partition":0,"offset":0,"key":null}$' "$T/first") ${all:-}" "0 0 1 all-produced"

# --- 100k records, kprod -> kcons, byte-identical
quote_lines 100000 1000 >"$T/100k"
printf '{"n":12345678901234567890123,"f":1e300,"g":-0.0,"u":"\\u00e9\\ud83d\\ude00 \xc3\xa9","esc":"a\\"b\\\\c\\/"}\n' >>"$T/100k"
kprod -b "$BROKERS" -t rt -k .symbol "$T/100k"; rc=$?
is "100k records produced, exit 0" "$rc" 0
kcons -b "$BROKERS" -t rt -e >"$T/100k.out"; rc=$?
is "kcons -e reads them and exits 0" "$rc" 0
sort "$T/100k" >"$T/a"; sort "$T/100k.out" >"$T/b"
same_file "kprod -> kcons round trip of 100k records is byte-identical" "$T/a" "$T/b"

# --- a tiny local queue: kprod waits for room and keeps the order
kmock_ctl topic order 1
quote_lines 3000 100 >"$T/3k"
kprod -b "$BROKERS" -t order -X queue.buffering.max.messages=7 "$T/3k"; rc=$?
is "queue.buffering.max.messages=7: exit 0, all 3000 in input order" \
    "$rc $(kcons -b "$BROKERS" -t order -e -q | md5sum)" "0 $(md5sum <"$T/3k")"
kmock_ctl topic order-kb 1
kprod -b "$BROKERS" -t order-kb -k .symbol -X queue.buffering.max.kbytes=1 "$T/3k"; rc=$?
is "queue.buffering.max.kbytes=1: exit 0, all 3000 in input order" \
    "$rc $(kcons -b "$BROKERS" -t order-kb -e -q | md5sum)" "0 $(md5sum <"$T/3k")"

# --- faults injected through the mock cluster
quote_lines 3000 100 >"$T/3k"
for fault in "Produce 5 NOT_LEADER_FOR_PARTITION" "Produce 5 REQUEST_TIMED_OUT" \
    "Produce 3 NOT_ENOUGH_REPLICAS"; do
	topic=err$(echo "$fault" | md5sum | head -c 6)
	kmock_ctl topic "$topic" 2
	kmock_ctl error $fault
	kprod -b "$BROKERS" -t "$topic" -k .symbol -X retry.backoff.ms=10 "$T/3k" 2>"$T/err"; rc=$?
	kcons -b "$BROKERS" -t "$topic" -e -q | sort >"$T/got"
	sort "$T/3k" >"$T/want"
	if [ "$rc" = 0 ] && cmp -s "$T/got" "$T/want"; then
		ok "request errors ($fault): retried, every record exactly once"
	else not_ok "request errors ($fault): rc=$rc, $(wc -l <"$T/got") records"; fi
done

# A produce response slower than socket.timeout.ms: the broker has stored
# the batch, the client times out and sends it again.  The idempotent
# producer resends it with the same producer id, epoch and base sequence,
# which is what a Kafka broker deduplicates on.  librdkafka 2.0.2's mock
# cluster (kmock) does not check sequence numbers and stores the resent
# batch again, so what is shown here is: nothing lost, order kept, and the
# retry carries the identity a broker needs to drop it.
quote_lines 3000 100 >"$T/slow"
kmock_ctl topic rtt-idem 1
{ head -1000 "$T/slow"; sleep 1; kmock_ctl rtt all 4000; sed -n 1001,2000p "$T/slow"
  sleep 5; kmock_ctl rtt all 0; sed -n '2001,$p' "$T/slow"; } |
    kprod -b "$BROKERS" -t rtt-idem -X socket.timeout.ms=1000 -X debug=eos,msg \
    -vv 2>"$T/err"; rc=$?
kcons -b "$BROKERS" -t rtt-idem -e -q >"$T/got"
is "added RTT past the timeout: kprod retries and exits 0" "$rc" 0
is "  ... nothing lost" "$(sort -u "$T/got" | md5sum)" "$(sort -u "$T/slow" | md5sum)"
is "  ... first occurrences in input order" \
    "$(awk '!seen[$0]++' "$T/got" | md5sum)" "$(md5sum <"$T/slow")"
grep -o 'Produce MessageSet with [0-9]* message(s) ([^)]*MsgId [0-9]*, BaseSeq [0-9]*, PID{Id:[0-9]*,Epoch:[0-9]*}' \
    "$T/err" | sed 's/([0-9]* bytes, /(/' | sort | uniq -c | awk '$1 > 1' >"$T/resent"
timedout=$(grep -c 'encountered error: Local: Timed out (actions Retry,MsgPossiblyPersisted)' "$T/err")
if [ "$timedout" -ge 1 ] && [ -s "$T/resent" ]; then
	ok "  ... the timed-out batch was resent with the same PID, epoch and BaseSeq"
else not_ok "  ... no resend with the same sequence seen (timeouts: $timedout)"; fi
echo "# kmock stored $(sort "$T/got" | uniq -d | wc -l) resent records twice (its mock has no sequence checks)"

# Brokers down for less than message.timeout.ms: delivered once, late.
kmock_ctl topic down-short 2
kmock_ctl down all
{ sleep 2; kmock_ctl up all; } & upper=$!
kprod -b "$BROKERS" -t down-short -k .symbol -X message.timeout.ms=20000 "$T/3k" 2>"$T/err"; rc=$?
wait $upper
kcons -b "$BROKERS" -t down-short -e -q | sort >"$T/got"
is "brokers down 2 s (timeout 20 s): exit 0, every record exactly once" \
    "$rc $(cmp -s "$T/got" "$T/want" && echo same)" "0 same"

# Brokers gone longer than the timeout: non-zero, exact count, nothing lost.
kmock_ctl topic down-long 2
kmock_ctl down all
kprod -b "$BROKERS" -t down-long -X message.timeout.ms=2000 --failed "$T/failed" \
    --report "$T/3k" >"$T/rep" 2>"$T/err"; rc=$?
kmock_ctl up all
is "brokers gone past message.timeout.ms: exit 69 (EX_UNAVAILABLE)" "$rc" 69
grep_file "  ... with the exact count, the reason, the broker error and where the lines are" \
    "^kprod: 3000 of 3000 messages not delivered \(Local: Message timed out: 3000\); the brokers: 127.0.0.1:[0-9]+/bootstrap: Connect to ipv4#127.0.0.1:[0-9]+ failed: Connection refused .*; their lines are in $T/failed\$" "$T/err"
sort "$T/failed" >"$T/got"
same_file "  ... and every undelivered line in --failed" "$T/got" "$T/want"
is "  ... and --report says so for each: partition and offset -1, the error named" \
    "$(grep -c '^{"topic":"down-long","partition":-1,"offset":-1,"key":null,"error":"_MSG_TIMED_OUT"}$' "$T/rep") $(wc -l <"$T/rep")" \
    "3000 3000"

# No broker at all: said at once, and -T bounds the wait, not librdkafka's 300 s.
start=$(date +%s%N)
kprod -b 127.0.0.1:1 -t none -T 1.5 "$T/in" 2>"$T/err"; rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
is "no broker, -T 1.5: exit 69 within 3 s (took $took ms)" "$rc $([ "$took" -lt 3000 ] && echo fast)" "69 fast"
is "  ... the first line says the brokers are down and why, the last what was lost and why" \
    "$(head -1 "$T/err" | grep -c '^kprod: warning: all brokers are down (127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused .*); retrying each message for up to 1.5 s$') $(tail -1 "$T/err" | grep -c '^kprod: 3 of 3 messages not delivered (Local: Message timed out: 3); the brokers: 127.0.0.1:1/bootstrap: Connect.*Connection refused')" "1 1"
kprod -b 127.0.0.1:1 -t none -X message.timeout.ms=1000 "$T/in" 2>"$T/err"; rc=$?
is "  ... -X message.timeout.ms, as kcat users write it, does the same" \
    "$rc $(grep -c 'retrying each message for up to 1 s' "$T/err")" "69 1"
kprod -b 127.0.0.1:1 -t none -T 1 -X message.timeout.ms=2500 "$T/in" 2>"$T/err"
is "  ... the later of -T and -X wins" "$(grep -c 'up to 2.5 s' "$T/err")" 1
timeout -s KILL 2 kprod -b 127.0.0.1:1 -t none -T 1234 "$T/in" 2>"$T/err"
is "  ... -T 1234 is said as 1234 s" "$(grep -c 'up to 1234 s$' "$T/err")" 1
# A failure the brokers do not explain names no broker.
{ head -c 1000500 /dev/zero | tr '\0' ' '; echo '{"big":1}'; } >"$T/bigline"
kprod -b "$BROKERS" -t kv --max-line 2M "$T/bigline" 2>"$T/err"; rc=$?
is "a message too large for the brokers: exit 69, the reason, and no broker blamed" \
    "$rc $(grep -c 'Message size too large' "$T/err") $(grep -c 'the brokers' "$T/err")" "69 1 0"
for bad in 0 abc -1 1e3; do
	kprod -b 127.0.0.1:1 -t none -T "$bad" </dev/null 2>"$T/err"; rc=$?
	echo "$rc $(grep -c "^kprod: -T $bad: expected seconds" "$T/err")"
done >"$T/bad"
is "  ... -T 0, abc, -1, 1e3: exit 64, said" "$(sort -u "$T/bad")" "64 1"
kprod -b 127.0.0.1:1 -t none -p -1 </dev/null 2>"$T/err"; rc=$?
is "-p -1: exit 64, said" \
    "$rc $(grep -c '^kprod: -p -1: expected a whole number from 0 to 2147483647$' "$T/err")" "64 1"

# A deadline (QP_DEADLINE_MS, as lambda-bootstrap sets it): kprod stops
# in time to say why and exit before it, whatever -T says.
dl=$(( $(date +%s%3N) + 2000 ))
QP_DEADLINE_MS=$dl kprod -b 127.0.0.1:1 -t none --failed "$T/failed" "$T/in" 2>"$T/err"; rc=$?
now=$(date +%s%3N)
is "QP_DEADLINE_MS 2 s away, no broker: exit 69 before the deadline ($((dl - now)) ms before)" \
    "$rc $([ "$now" -lt "$dl" ] && [ $((dl - now)) -lt 1000 ] && echo in-time)" "69 in-time"
grep_file "  ... every message accounted for, the deadline and the brokers named" \
    '^kprod: 3 of 3 messages not delivered by the deadline \(Local: Purged in queue: 3\); the brokers: 127.0.0.1:1/bootstrap: Connect.*Connection refused' "$T/err"
same_file "  ... and the lines in --failed" "$T/failed" "$T/in"
# A broker that accepts and never answers: no broker error to quote.
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []; s.settimeout(0.2); end = time.time() + 10
while time.time() < end:
    try: conns.append(s.accept())
    except OSError: pass
' "$T/mute.port" & mute=$!
wait_for 5 test -s "$T/mute.port"
dl=$(( $(date +%s%3N) + 1500 ))
QP_DEADLINE_MS=$dl kprod -b "127.0.0.1:$(cat "$T/mute.port")" -t none "$T/in" 2>"$T/err"; rc=$?
now=$(date +%s%3N)
kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null
is "a broker that never answers, QP_DEADLINE_MS 1.5 s away: exit 69 before it, 'none answered'" \
    "$rc $([ "$now" -lt "$dl" ] && echo in-time) $(grep -c 'the brokers: none answered (127.0.0.1:[0-9]*)$' "$T/err")" "69 in-time 1"
# Input still coming at the deadline: what was not read is not a success.
dl=$(( $(date +%s%3N) + 1500 ))
{ head -1 "$T/in"; sleep 4; tail -1 "$T/in"; } | QP_DEADLINE_MS=$dl kprod -b "$BROKERS" -t slowin 2>"$T/err"; rc=$?
is "input still open at the deadline: exit 69, the line read delivered, the rest said to be unread" \
    "$rc $(kcat -C -b "$BROKERS" -t slowin -e -q | wc -l) $(grep -c 'the deadline came before the end of the input: 1 lines read' "$T/err")" "69 1 1"
QP_DEADLINE_MS=soon kprod -b "$BROKERS" -t none </dev/null 2>"$T/err"; rc=$?
is "QP_DEADLINE_MS that is not milliseconds since the epoch: exit 78, said" \
    "$rc $(grep -c '^kprod: QP_DEADLINE_MS=soon: expected a time in milliseconds since the epoch$' "$T/err")" "78 1"
QP_DEADLINE_MS=$(date +%s) kprod -b "$BROKERS" -t none </dev/null 2>"$T/err"; rc=$?
is "  ... nor seconds by mistake" "$rc" 78

# Gone part-way through: what is not in Kafka is in --failed, nothing else.
kmock_ctl topic down-mid 1
quote_lines 20000 100 >"$T/20k"
{ head -10000 "$T/20k"; sleep 1; kmock_ctl down all; sed -n '10001,$p' "$T/20k"; } |
    kprod -b "$BROKERS" -t down-mid -X message.timeout.ms=3000 --failed "$T/failed" 2>"$T/err"; rc=$?
kmock_ctl up all
kcons -b "$BROKERS" -t down-mid -e -q >"$T/stored"
nf=$(wc -l <"$T/failed"); ns=$(wc -l <"$T/stored")
echo "# stored $ns, failed $nf"
sort -u "$T/stored" "$T/failed" >"$T/got"; sort "$T/20k" >"$T/want"
if [ "$rc" = 69 ] && [ "$nf" -gt 0 ] && cmp -s "$T/got" "$T/want" &&
    grep -q "^kprod: $nf of 20000 messages not delivered" "$T/err"; then
	ok "brokers lost mid-stream: exit 69, $nf counted and in --failed, the rest stored, none lost"
else not_ok "brokers lost mid-stream: rc=$rc stored=$ns failed=$nf"; sed 's/^/#   /' "$T/err"; fi

# SIGTERM while reading a slow pipe: what was read is flushed, exit 0.
kmock_ctl topic term 1
mkfifo "$T/slowpipe"
kprod -b "$BROKERS" -t term <"$T/slowpipe" 2>"$T/err" & kp=$!
exec 8>"$T/slowpipe"
printf '{"a":1}\n{"a":2}\n' >&8
sleep 1
kill -TERM $kp
wait $kp; rc=$?
exec 8>&-
is "SIGTERM on an idle pipe: exit 0 and both lines delivered" \
    "$rc $(kcons -b "$BROKERS" -t term -e -q | tr '\n' ' ')" '0 {"a":1} {"a":2} '
done_testing
