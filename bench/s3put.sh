#!/bin/bash
# bench/s3put.sh [BIN_DIR] - s3put against gzip -6, and its peak memory.
#
# 1 GB of quote JSON lines (invented values, CNN's shape) through s3put
# into s3rver on 127.0.0.1, side by side with `gzip -6 -c > /dev/null` on
# the same file: compression is the floor, so the goal is s3put's rate
# >= 0.8 x gzip's (uploading hidden behind compressing).  Peak RSS of
# s3put is measured on 100 MB and 1 GB; the bound is 2 x part size +
# 32 MiB whatever the input size.  Needs `make deps` (s3rver in build/npm).
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GB_LINES=${GB_LINES:-2000000}
W=$(mktemp -d /tmp/qp-s3bench.XXXXXX)
S3=
trap '[ -n "$S3" ] && kill "$S3" 2>/dev/null; rm -rf "$W"' EXIT

quotes() {	# quotes N: N quote lines of ~530 bytes
	awk -v n="$1" 'BEGIN {
		split("Americas Asia-Pacific Europe", reg, " ")
		for (i = 0; i < n; i++) {
			s = i % 4000
			printf "{\"name\":\"Index %d\",\"symbol\":\"SYM-%04d\",\"current_price\":%d.%08d,\"prev_close_price\":%d.%07d,\"price_change_from_prev_close\":-%d.%014d,\"percent_change_from_prev_close\":-0.00%015d,\"prev_close_date\":\"2023-05-11\",\"sort_order_index\":%d,\"last_updated\":\"2023-05-12T21:16:%02d.%06d+00:00\",\"event_timestamp\":\"2023-05-12T21:16:26+00:00\",\"status\":\"UNKNOWN\",\"next_status\":\"UNKNOWN\",\"next_status_change\":\"2023-05-12T13:30:21.109002+00:00\",\"country\":{\"name\":\"Country %d\",\"code\":\"C%02d\",\"region\":\"%s\"},\"refresh_interval_in_seconds\":0}\n", s, s, 1000 + i % 9000, i % 100000000, 1000 + i % 9000, i % 10000000, i % 100, i, i, s % 77, i % 60, i % 1000000, s % 50, s % 50, reg[s % 3 + 1]
		}
	}'
}
quotes "$GB_LINES" >"$W/1g.jsonl"
head -n $((GB_LINES / 10)) "$W/1g.jsonl" >"$W/100m.jsonl"

mkdir -p "$W/s3"
NODE_OPTIONS=--openssl-legacy-provider "$ROOT/build/npm/node_modules/.bin/s3rver" -d "$W/s3" -a 127.0.0.1 -p 0 -s \
    --configure-bucket bench >"$W/s3rver.log" 2>&1 &
S3=$!
for _ in $(seq 100); do grep -q listening "$W/s3rver.log" && break; sleep 0.1; done
URL=http://$(grep -oE '127\.0\.0\.1:[0-9]+' "$W/s3rver.log" | head -1)
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_EC2_METADATA_DISABLED=true

mb() { echo "scale=1; $(wc -c <"$1") / 1048576" | bc; }
timed() {	# timed IN OUT CMD...: prints "seconds peakRSS_KB"
	local in=$1 out=$2; shift 2
	/usr/bin/time -f '%e %M' -o "$W/time" "$@" <"$in" >"$out"
	cat "$W/time"
}
echo "data: $(wc -l <"$W/1g.jsonl") lines, $(mb "$W/1g.jsonl") MB; s3put defaults (gzip -6, 8M parts)"
read -r tg _ < <(timed "$W/1g.jsonl" /dev/null gzip -6 -c)
read -r ts ms < <(timed "$W/1g.jsonl" "$W/acks" "$BIN/s3put" --endpoint "$URL" 's3://bench/run1/')
objects=$(wc -l <"$W/acks")
records=$(jq -s 'map(.records) | add' "$W/acks")
printf 'gzip -6 -c >/dev/null  %6.2f s %7s MB/s\n' "$tg" "$(echo "scale=1; $(mb "$W/1g.jsonl") / $tg" | bc)"
printf 's3put to s3rver        %6.2f s %7s MB/s  (%d objects, %d records)  ratio %s\n' "$ts" \
    "$(echo "scale=1; $(mb "$W/1g.jsonl") / $ts" | bc)" "$objects" "$records" "$(echo "scale=2; $tg / $ts" | bc)"
read -r _ m100 < <(timed "$W/100m.jsonl" /dev/null "$BIN/s3put" --endpoint "$URL" 's3://bench/run2/')
echo "peak RSS: s3put $m100 KB on $(mb "$W/100m.jsonl") MB, $ms KB on $(mb "$W/1g.jsonl") MB" \
    "(bound: 2 x 8 MiB + 32 MiB = $(( (2 * 8 + 32) * 1024 )) KB)"
# One object of all the input: a streamed multipart upload of 8M parts.
big="--max-records 100000000 --max-bytes 100G"
read -r tm m100 < <(timed "$W/100m.jsonl" "$W/acks" "$BIN/s3put" --endpoint "$URL" $big 's3://bench/run3/')
read -r tm mm < <(timed "$W/1g.jsonl" "$W/acks" "$BIN/s3put" --endpoint "$URL" $big 's3://bench/run4/')
printf 'one object of it all (multipart, %d MB stored) %6.2f s %7s MB/s  ratio %s\n' \
    "$(( $(jq .bytes "$W/acks") / 1048576 ))" "$tm" "$(echo "scale=1; $(mb "$W/1g.jsonl") / $tm" | bc)" \
    "$(echo "scale=2; $tg / $tm" | bc)"
echo "peak RSS, one object: $m100 KB on $(mb "$W/100m.jsonl") MB, $mm KB on $(mb "$W/1g.jsonl") MB"
