#!/bin/bash
# examples/demo.sh [BIN_DIR] - the main job on embedded defaults.
#
# Starts a local Kafka-protocol broker (kmock) and a local S3 server
# (s3rver, installed by `make deps` into build/npm), runs the producer
# side on a saved answer of CNN's endpoint (examples/replay/: invented
# values), the consumer side into S3, shows what landed, answers the
# original project's questions from the data in S3, prints the Athena
# table for it, runs the analytics consumer on two minutes of quotes
# (examples/ticks.sample.jsonl: invented values) to show a minute's bars
# and the top movers, and stops everything it started.  No network beyond
# 127.0.0.1.
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/quotepipe-demo.XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
export PATH=$BIN:$PATH QP_BIN=$BIN

echo "== kmock: a local Kafka-protocol broker (topic quotes, 3 partitions; ticks, 1; ticks-1m, 3)"
kmock -t quotes:3 -t ticks:1 -t ticks-1m:3 >"$W/kmock.out" &
PIDS+=("$!")
for _ in $(seq 50); do [ -s "$W/kmock.out" ] && break; sleep 0.1; done
export KAFKA_BROKERS=$(head -1 "$W/kmock.out")
echo "   KAFKA_BROKERS=$KAFKA_BROKERS"

echo "== s3rver: a local S3 API server (bucket lake)"
NODE_OPTIONS=--openssl-legacy-provider "$ROOT/build/npm/node_modules/.bin/s3rver" \
    -d "$W/s3" -a 127.0.0.1 -p 0 --configure-bucket lake >"$W/s3rver.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do grep -q listening "$W/s3rver.log" && break; sleep 0.1; done
S3=http://$(grep -oE '127\.0\.0\.1:[0-9]+' "$W/s3rver.log" | head -1)
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_EC2_METADATA_DISABLED=true
echo "   endpoint $S3"

REPLAY=file://$HERE/replay
echo
echo "== producer side: cnn-fetch --base-url $REPLAY | quote-xform | kprod -t quotes -k .symbol"
QP_STATE=$W/state "$HERE/producer.sh" --base-url "$REPLAY" --date 2023-05-12
echo "   and once more for the same hour (QP_STATE): nothing is sent twice"
QP_STATE=$W/state "$HERE/producer.sh" --base-url "$REPLAY" --date 2023-05-12
echo "   Kafka holds $(kcons -t quotes -e | wc -l) cleaned quotes"

echo
echo "== consumer side: kcons -J -G quotes-s3 --commit-acks FIFO | s3put ... > FIFO"
QP_KCONS_ARGS=-e "$HERE/consumer.sh" --endpoint "$S3" --time-field .last_updated \
    --max-records 2 's3://lake/quotes/dt=%Y-%m-%d/'
echo "   objects in s3://lake/quotes/ (records, and the Kafka partition in each key):"
for k in $(aws --endpoint-url "$S3" s3api list-objects-v2 --bucket lake --prefix quotes/ \
    --query 'Contents[].Key' --output text 2>/dev/null | tr '\t' '\n'); do
	n=$(s3cat --endpoint "$S3" "s3://lake/$k" | wc -l)
	printf '   %-62s %d records\n' "$k" "$n"
done
echo "   records per Kafka partition:"
for k in $(aws --endpoint-url "$S3" s3api list-objects-v2 --bucket lake --prefix quotes/ \
    --query 'Contents[].Key' --output text 2>/dev/null | tr '\t' '\n'); do
	echo "$k $(s3cat --endpoint "$S3" "s3://lake/$k" | wc -l)"
done | sed -E 's/.*\+([0-9]+)\+.* ([0-9]+)$/\1 \2/' |
    awk '{ n[$1] += $2 } END { for (p in n) printf "     partition %s: %d\n", p, n[p] }' | sort

echo
echo "== the original project's questions, answered from S3 (s3cat | jq)"
s3cat --endpoint "$S3" s3://lake/quotes/ >"$W/all.jsonl"
echo "   how many rows: $(wc -l <"$W/all.jsonl")"
echo "   the day's top movers (by percent change):"
jq -s -r 'sort_by(-(.percent_change_from_prev_close | fabs)) | .[:3][] |
    "     \(.name) (\(.symbol), \(.country_name)): \(.percent_change_from_prev_close * 10000 | round / 100)%"' \
    "$W/all.jsonl"

echo
echo "== the Athena table for it (athena-ddl; no Glue crawler, no MSCK REPAIR)"
athena-ddl --location s3://lake/quotes/ --since 2023-05-12 "$W/all.jsonl" | sed 's/^/   /'

echo
echo "== analysis as the quotes flow: the analytics consumer (examples/analytics.sh)"
echo "   kcons -J -G analytics -t ticks --commit-acks FIFO | quote-window --size 1m --top 3 --state …"
echo "     --acks FIFO | tee >(kprod -t ticks-1m -k .id) | s3put s3://lake/bars/dt=%Y-%m-%d/"
kprod -t ticks -k .symbol "$HERE/ticks.sample.jsonl"
echo "   $(wc -l <"$HERE/ticks.sample.jsonl") quotes of two minutes in topic ticks (invented values, a few seconds out of order)"
QP_TOPIC=ticks QP_GROUP=analytics QP_BARS_TOPIC=ticks-1m QP_KCONS_ARGS=-e \
    QP_WINDOW_STATE=$W/bars.state \
    QP_WINDOW_ARGS="--size 1m --top 3 --lateness 5s --alert .pct_change>0.3 --drain" \
    "$HERE/analytics.sh" --endpoint "$S3" --time-field .window_start 's3://lake/bars/dt=%Y-%m-%d/'
kcons -t ticks-1m -e >"$W/bars.jsonl"
echo "   the bars, read back from topic ticks-1m (keyed by id):"
jq -r 'select(.type == "bar") | [.window_start[11:16], .symbol, .count, .open, .high, .low, .close,
    (.pct_change * 100 | round / 100)] | @tsv' "$W/bars.jsonl" | sort |
    awk -F'\t' 'BEGIN { printf "     %-6s %-9s %5s %10s %10s %10s %10s %7s\n", "minute", "symbol", "count",
        "open", "high", "low", "close", "change%" }
        { printf "     %-6s %-9s %5d %10.2f %10.2f %10.2f %10.2f %7.2f\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
echo "   the top movers of each minute:"
jq -r 'select(.type == "top") | "     \(.window_start[11:16])  " +
    ([.movers[] | "\(.symbol) \(.pct_change * 100 | round / 100)%"] | join(", "))' "$W/bars.jsonl" | sort
echo "   alerts (.pct_change > 0.3, once per crossing):"
jq -r 'select(.type == "alert") | "     \(.window_start[11:16])  \(.symbol): \(.bar.pct_change * 100 | round / 100)%"' \
    "$W/bars.jsonl" | sort
echo "   the same lines in S3: $(s3cat --endpoint "$S3" s3://lake/bars/ | wc -l); the Athena table for them:"
s3cat --endpoint "$S3" s3://lake/bars/ |
    athena-ddl --table quote_bars --location s3://lake/bars/ --since 2023-05-12 | sed 's/^/   /'
echo "== done: everything started here is stopped on exit"
