# examples/producer.sh, consumer.sh and cron/quotepipe-cron: the whole
# flow against kmock and s3rver, failures named by stage, no double
# sends, no overlapping cron runs.
. "$QP_ROOT/tests/lib.sh"
E=$QP_ROOT/examples
REPLAY=file://$E/replay
kmock_start -t quotes:3
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
is "a cnn-fetch failure: its status (66), the stage named" \
    "$rc $(grep -c '^producer: failed at cnn-fetch$' "$T/err")" "66 1"
cp "$T/state" "$T/state.before"
sed 's/2023-05-12T15:35:00+00:00/2023-05-12T16:00:00+00:00/' \
    "$E/replay/markets/world/regions/Americas,Asia-Pacific,Europe/2023-05-12" >"$T/day"
mkdir -p "$T/r2/markets/world/regions/Americas,Asia-Pacific,Europe"
cp "$T/day" "$T/r2/markets/world/regions/Americas,Asia-Pacific,Europe/2023-05-12"
KAFKA_BROKERS=127.0.0.1:1 QP_KPROD_ARGS="-X message.timeout.ms=1500" QP_STATE=$T/state \
    "$E/producer.sh" --base-url "file://$T/r2" --date 2023-05-12 2>"$T/err"; rc=$?
is "a kprod failure (no broker): its status (69), the stage named" \
    "$rc $(grep -c '^producer: failed at kprod$' "$T/err")" "69 1"
is "  ... and the state is not committed: the changed quote will be sent next time" \
    "$(cmp -s "$T/state" "$T/state.before" && echo unchanged)" unchanged
QP_STATE=$T/state "$E/producer.sh" --base-url "file://$T/r2" --date 2023-05-12 2>"$T/err"; rc=$?
is "  ... which it is, alone, once the broker is back" \
    "$rc $(kcons -t quotes -e 2>/dev/null | wc -l)" "0 7"

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
"$E/cron/quotepipe-cron" --base-url "$REPLAY" --date 2023-05-12 >"$T/out" 2>"$T/err"; rc=$?
is "cron: a good run exits 0" "$rc $(grep -c 'producer run done' "$T/err")" "0 1"
echo "KAFKA_BROKERS=$BROKERS" >"$T/env"; echo "QP_TOPIC=fromenv" >>"$T/env"
env -u KAFKA_BROKERS QP_ENV="$T/env" "$E/cron/quotepipe-cron" --base-url "$REPLAY" --date 2023-05-12 2>"$T/err"; rc=$?
is "cron: settings from QP_ENV" "$rc $(kcons -t fromenv -e 2>/dev/null | wc -l)" "0 6"
done_testing
