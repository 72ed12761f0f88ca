# examples/producer.sh, consumer.sh, analytics.sh and cron/quotepipe-cron: the whole
# flow against kmock and s3rver, failures named by stage, no double
# sends, no overlapping cron runs.
. "$QP_ROOT/tests/lib.sh"
E=$QP_ROOT/examples
REPLAY=file://$E/replay
kmock_start -t quotes:3 -t ticks:1 -t ticks-1m:3
s3rver_start lake
export KAFKA_BROKERS=$BROKERS QP_BIN=$QP_BIN

# --- producer side ------------------------------------------------------------
QP_STATE=$T/state "$E/producer.sh" --base-url "$REPLAY" --date 2023-05-12 2>"$T/err"; rc=$?
is "producer.sh: cnn-fetch | quote-xform | kprod, exit 0" "$rc" 0
is "  ... six cleaned quotes in Kafka" \
    "$(kcons -t quotes -e 2>/dev/null | jq -r '[.symbol, .last_updated] | join(" ")' | sort | head -1)" \
    "COMP-USA 2023-05-12 21:16:26"
QP_STATE=$T/state "$E/producer.sh" --base-url "$REPLAY" --date 2023-05-12 2>"$T/err"; rc=$?
is "  ... run again for the same hour (QP_STATE): nothing sent twice" \
    "$rc $(kcons -t quotes -e 2>/dev/null | wc -l)" "0 6"
"$E/producer.sh" --base-url "$REPLAY" --date 2023-05-13 2>"$T/err"; rc=$?
is "a cnn-fetch failure: its status (66), the stage named with its message, last" \
    "$rc $(tail -1 "$T/err" | grep -c '^producer: failed at cnn-fetch (exit 66): cnn-fetch: file://.*/2023-05-13: Couldn.t open file ')" "66 1"
cp "$T/state" "$T/state.before"
sed 's/2023-05-12T15:35:00+00:00/2023-05-12T16:00:00+00:00/' \
    "$E/replay/markets/world/regions/Americas,Asia-Pacific,Europe/2023-05-12" >"$T/day"
mkdir -p "$T/r2/markets/world/regions/Americas,Asia-Pacific,Europe"
cp "$T/day" "$T/r2/markets/world/regions/Americas,Asia-Pacific,Europe/2023-05-12"
KAFKA_BROKERS=127.0.0.1:1 QP_KPROD_ARGS="-X message.timeout.ms=1500" QP_STATE=$T/state \
    "$E/producer.sh" --base-url "file://$T/r2" --date 2023-05-12 2>"$T/err"; rc=$?
is "a kprod failure (no broker): its status (69), the stage named with the broker failure, last" \
    "$rc $(tail -1 "$T/err" | grep -c '^producer: failed at kprod (exit 69): kprod: 1 of 1 messages not delivered (Local: Message timed out: 1); the brokers: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused')" "69 1"
is "  ... and the state is not committed: the changed quote will be sent next time" \
    "$(cmp -s "$T/state" "$T/state.before" && echo unchanged)" unchanged
QP_STATE=$T/state "$E/producer.sh" --base-url "file://$T/r2" --date 2023-05-12 2>"$T/err"; rc=$?
is "  ... which it is, alone, once the broker is back" \
    "$rc $(kcons -t quotes -e 2>/dev/null | wc -l)" "0 7"

QP_STATS=0 "$E/producer.sh" --base-url "$REPLAY" --date 2023-05-13 2>"$T/err"; rc=$?
is "  ... with QP_STATS on, the summary still quotes the error, not the stats report" \
    "$rc $(tail -1 "$T/err" | grep -c "^producer: failed at cnn-fetch (exit 66): cnn-fetch: file://.*Couldn.t open file")" "66 1"
QP_TOPIC=closed QP_STATE=$T/closed.state "$E/producer.sh" --base-url "$REPLAY" --date 2023-05-12 >&- 2>"$T/err"; rc=$?
is "producer.sh with stdout closed: exit 0, the quotes sent, the state committed" \
    "$rc $(kcons -t closed -e 2>/dev/null | wc -l) $(test -s "$T/closed.state" && echo committed)" "0 6 committed"
# A fetch that runs out of time: the fetch is named, not kprod.
cnnserver_start cnn "$T/cnn.log" "$QP_ROOT/tests/fixtures/quotes.jsonl"
QP_DEADLINE_MS=$(( $(date +%s%3N) + 2500 )) "$E/producer.sh" --base-url "http://127.0.0.1:$(cat "$T/cnn.port")/stall" \
    --date 2023-05-12 --timeout 30 2>"$T/err"; rc=$?
is "a stalled fetch under QP_DEADLINE_MS: exit 69, cnn-fetch named, not kprod" \
    "$rc $(tail -1 "$T/err" | grep -c '^producer: failed at cnn-fetch (exit 69): cnn-fetch: .*no time for another before the deadline')" "69 1"
sed 's/^/#   /' "$T/err"
# SIGTERM to the whole group (systemd, lambda-bootstrap): the stages' last
# words and the summary are still written.
KAFKA_BROKERS=127.0.0.1:1 QP_KPROD_TIMEOUT=1.5 setsid "$E/producer.sh" --base-url "$REPLAY" --date 2023-05-12 \
    2>"$T/err" & p=$!
wait_for 5 grep -q 'all brokers are down' "$T/err"
kill -TERM -- -"$p"; wait "$p"; rc=$?
is "SIGTERM to producer.sh's process group: kprod's count and the summary still written, exit 69" \
    "$rc $(grep -c '^kprod: 6 of 6 messages not delivered' "$T/err") $(tail -1 "$T/err" | grep -c '^producer: failed at kprod (exit 69)')" "69 1 1"

# --- consumer side ------------------------------------------------------------
QP_KCONS_ARGS=-e "$E/consumer.sh" --endpoint "$S3_URL" --time-field .last_updated \
    's3://lake/quotes/dt=%Y-%m-%d/' >"$T/out" 2>"$T/err"; rc=$?
is "consumer.sh: kcons | s3put with acks, exit 0, all 7 records in S3" \
    "$rc $(s3cat --endpoint "$S3_URL" s3://lake/quotes/ 2>/dev/null | wc -l)" "0 7"
QP_KCONS_ARGS=-e "$E/consumer.sh" --endpoint "$S3_URL" 's3://lake/again/' >"$T/out" 2>"$T/err"; rc=$?
is "  ... rerun: the offsets were committed, nothing is stored twice" \
    "$rc $(s3_keys lake again/ | wc -l)" "0 0"
"$E/consumer.sh" --endpoint "$S3_URL" 's3://nosuchbucket/x/' >"$T/out" 2>"$T/err"; rc=$?
is "an s3put failure (no such bucket): its status, the stage named" \
    "$rc $(grep -c '^consumer: failed at s3put$' "$T/err")" "69 1"
QP_GROUP=termgrp "$E/consumer.sh" --endpoint "$S3_URL" --max-age 0 's3://lake/term/' >"$T/out" 2>"$T/err" &
p=$!
wait_for 30 grep -q 'assigned' "$T/err" || sleep 5
sleep 1
kill -TERM "$p"; wait "$p"; rc=$?
is "SIGTERM to consumer.sh: a clean stop, exit 0, the batch stored" \
    "$rc $(s3cat --endpoint "$S3_URL" s3://lake/term/ 2>/dev/null | wc -l)" "0 7"

# --- analytics consumer -------------------------------------------------------
# Two minutes of quotes; SIGTERM once the first minute's bars are out; a
# restart to the end gives the bars of one run, in Kafka and in S3.
kprod -t ticks -k .symbol "$E/ticks.sample.jsonl" 2>"$T/err"
quote-window --size 1m --top 3 --lateness 5s "$E/ticks.sample.jsonl" 2>/dev/null | sort >"$T/bars.want"
an() {	# in a subshell of its own: it becomes analytics.sh, for its pid
	QP_TOPIC=ticks QP_GROUP=an QP_BARS_TOPIC=ticks-1m QP_WINDOW_STATE=$T/an.state \
	    QP_WINDOW_ARGS="--size 1m --top 3 --lateness 5s --checkpoint 100ms $1" \
	    exec "$E/analytics.sh" --endpoint "$S3_URL" --max-age 0 's3://lake/bars/dt=%Y-%m-%d/'
}
an "" >"$T/out" 2>"$T/err" &
p=$!
wait_for 30 grep -qs '^acc ' "$T/an.state"
sleep 0.5
kill -TERM "$p"; wait "$p"; rc=$?
is "analytics.sh: SIGTERM, a clean stop, exit 0; the first minute's bars and top line in Kafka, the second minute in the state" \
    "$rc $(kcons -t ticks-1m -e 2>/dev/null | wc -l) $(grep -c '^window' "$T/an.state")" "0 7 1"
(QP_KCONS_ARGS=-e an --drain) >"$T/out" 2>"$T/err"; rc=$?
kcons -t ticks-1m -e 2>/dev/null | sort >"$T/bars.kafka"
s3cat --endpoint "$S3_URL" s3://lake/bars/ 2>/dev/null | sort >"$T/bars.s3"
is "  ... restarted to the end (--drain): exit 0; the bars of one run, in Kafka (keyed by id) and in S3" \
    "$rc $(cmp -s "$T/bars.kafka" "$T/bars.want" && echo kafka) $(cmp -s "$T/bars.s3" "$T/bars.want" && echo s3) $(wc -l <"$T/bars.want")" \
    "0 kafka s3 14"
QP_TOPIC=ticks QP_BARS_TOPIC=ticks-1m QP_WINDOW_STATE=$T/nb.state QP_KCONS_ARGS=-e \
    timeout 60 "$E/analytics.sh" --endpoint "$S3_URL" 's3://nosuchbucket/x/' >"$T/out" 2>"$T/err"; rc=$?
is "  ... an s3put failure (no such bucket): its status, the stage named" \
    "$rc $(grep -c '^analytics: failed at s3put$' "$T/err")" "69 1"
echo 'not a checkpoint' >"$T/bad.state"
QP_TOPIC=ticks QP_BARS_TOPIC=ticks-1m QP_WINDOW_STATE=$T/bad.state \
    timeout 60 "$E/analytics.sh" --endpoint "$S3_URL" 's3://lake/nb/' >"$T/out" 2>"$T/err"; rc=$?
is "  ... quote-window refusing its state: the whole service stops, exit 65, the stage named" \
    "$rc $(grep -c '^analytics: failed at quote-window$' "$T/err")" "65 1"

# --- cron ---------------------------------------------------------------------------
export QP_LOCK=$T/lock
flock "$T/lock" sleep 3 &
holder=$!
sleep 0.3
"$E/cron/quotepipe-cron" --base-url "$REPLAY" --date 2023-05-12 >"$T/out" 2>"$T/err"; rc=$?
is "cron: a run that finds the previous one still going skips, exit 0, says so" \
    "$rc $(grep -c 'skipped: the previous run still holds' "$T/err")" "0 1"
wait "$holder"
"$E/cron/quotepipe-cron" --base-url "$REPLAY" --date 2023-05-13 >"$T/out" 2>"$T/err"; rc=$?
is "cron: a failed run exits non-zero, its messages logged" \
    "$rc $(grep -c 'quotepipe: producer: failed at cnn-fetch' "$T/err") $(grep -c 'producer run failed with status 66' "$T/err")" "66 1 1"

# The broker down, ten runs: the same lines in the same order every time,
# each stage's first, the summary last.  A line is known by its first
# two words (librdkafka's text has timings in it).
for i in $(seq 10); do
	KAFKA_BROKERS=127.0.0.1:1 QP_KPROD_TIMEOUT=0.5 "$E/cron/quotepipe-cron" --base-url "$REPLAY" --date 2023-05-12 \
	    >/dev/null 2>"$T/cron.$i"
	echo "$? $(sed -E 's/^quotepipe: ([^ ]+) ([^ ]+).*/\1 \2/' "$T/cron.$i" | tr '\n' ';')"
done | sort | uniq -c >"$T/orders"
is "cron, broker down, 10 runs: one order of lines, exit 69 each time" \
    "$(wc -l <"$T/orders") $(awk '{ print $1, $2 }' "$T/orders")" "1 10 69"
sed 's/^/#   /' "$T/cron.1"
is "  ... kprod's lines, then producer.sh's summary, then the run's, last" \
    "$(sed -E 's/^quotepipe: ([^ ]+) ([^ ]+).*/\1 \2/' "$T/cron.1" | tr '\n' ';')" \
    "kprod: warning:;kprod: 6;producer: failed;producer run;"
is "  ... and kprod gave up within its QP_KPROD_TIMEOUT, not librdkafka's 300 s" \
    "$(grep -c 'producer run failed with status 69 after [0-3] s$' "$T/cron.1")" 1

QP_RUN_TIMEOUT=08 "$E/cron/quotepipe-cron" --base-url "$REPLAY" --date 2023-05-12 >/dev/null 2>"$T/err"; rc=$?
is "cron: QP_RUN_TIMEOUT=08 is 8 s (not octal, not an error)" "$rc $(grep -c 'producer run done' "$T/err")" "0 1"
QP_RUN_TIMEOUT=5m "$E/cron/quotepipe-cron" --base-url "$REPLAY" --date 2023-05-12 >/dev/null 2>"$T/err"; rc=$?
is "cron: a QP_RUN_TIMEOUT that is not whole seconds: exit 78, said" \
    "$rc $(grep -c 'QP_RUN_TIMEOUT=5m: expected whole seconds' "$T/err")" "78 1"
"$E/cron/quotepipe-cron" --base-url "$REPLAY" --date 2023-05-12 >"$T/out" 2>"$T/err"; rc=$?
is "cron: a good run exits 0" "$rc $(grep -c 'producer run done' "$T/err")" "0 1"
echo "KAFKA_BROKERS=$BROKERS" >"$T/env"; echo "QP_TOPIC=fromenv" >>"$T/env"
env -u KAFKA_BROKERS QP_ENV="$T/env" "$E/cron/quotepipe-cron" --base-url "$REPLAY" --date 2023-05-12 2>"$T/err"; rc=$?
is "cron: settings from QP_ENV" "$rc $(kcons -t fromenv -e 2>/dev/null | wc -l)" "0 6"

# --- systemd ----------------------------------------------------------------
# The unit, checked by systemd's own verifier with its ExecStart pointing
# at consumer.sh where make install put it under $T/root.
if command -v systemd-analyze >/dev/null; then
	make -s -C "$QP_ROOT" install BUILD="$(cd "$QP_BIN/.." && pwd)" PREFIX=/usr/local DESTDIR="$T/root" >/dev/null 2>&1
	unit=quotepipe-consumer.service
	verify() {	# verify DIR SED: the unit, edited by SED, verified in DIR
		mkdir -p "$T/$1"
		sed "s|/usr/local/share/quotepipe|$T/root/usr/local/share/quotepipe|; $2" \
		    "$E/systemd/$unit" >"$T/$1/$unit"
		systemd-analyze verify --man=no "$T/$1/$unit" >"$T/$1/out" 2>&1
	}
	verify sd ''; rc=$?
	is "systemd-analyze verify $unit: exit 0, not a word said" "$rc $(wc -l <"$T/sd/out")" "0 0"
	sed 's/^/#   /' "$T/sd/out"
	verify sd-typo 's/^Restart=on-failure/Restart=on-failures/'; rc=$?
	is "  ... which does see a typo (Restart=on-failures)" "$(grep -c 'restart specifier' "$T/sd-typo/out")" 1
	verify sd-noexec 's|/consumer.sh|/no-such-consumer.sh|'; rc=$?
	is "  ... and fails a unit whose ExecStart is not there" \
	    "$([ "$rc" -ne 0 ] && echo failed) $(grep -c 'no-such-consumer.sh is not executable' "$T/sd-noexec/out")" "failed 1"
	unit=quotepipe-analytics.service
	verify sd-an ''; rc=$?
	is "systemd-analyze verify $unit: exit 0, not a word said" "$rc $(wc -l <"$T/sd-an/out")" "0 0"
	sed 's/^/#   /' "$T/sd-an/out"
else
	skip "systemd-analyze is not installed (tests/deps.sh installs systemd)"
fi
done_testing
