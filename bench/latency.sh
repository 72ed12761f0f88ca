#!/bin/bash
# bench/latency.sh [BIN_DIR] - how soon a record can be listed in S3.
#
# Records arrive one a second (the original project's flow is ~77 an
# hour; this is faster, and the same per record).  Each is produced by a
# kprod of its own, and its delivery time is when that kprod exits (it
# exits once the broker has acked).  The consumer side runs as in
# production:
#   kcons -J -G lat --commit-acks F | s3put --max-age 5 s3://lake/lat/dt=%Y-%m-%d/ > F
# against kmock and s3rver on 127.0.0.1, while a poller lists the prefix
# every 50 ms and notes when each key first appears.  A record's latency
# is from its delivery to the first listing that shows the object that
# holds it (offsets from s3cat --list).  Prints the median, 90th
# percentile and worst, and the objects made.  Needs `make deps`.
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${RECORDS:-120}
AGE=${MAX_AGE:-5}
W=$(mktemp -d /tmp/qp-latbench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"' EXIT

"$BIN/kmock" -t lat:1 >"$W/kmock.out" 2>"$W/kmock.err" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$W/kmock.out" ] && break; sleep 0.05; done
BROKERS=$(head -1 "$W/kmock.out")

mkdir -p "$W/s3"
NODE_OPTIONS=--openssl-legacy-provider "$ROOT/build/npm/node_modules/.bin/s3rver" -d "$W/s3" \
    -a 127.0.0.1 -p 0 -s --configure-bucket lake >"$W/s3rver.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$W/s3rver.log" && break; sleep 0.1; done
URL=http://$(grep -oE '127\.0\.0\.1:[0-9]+' "$W/s3rver.log" | head -1)
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

# The poller: ListObjectsV2 every 50 ms (s3rver does not check
# signatures, so a plain GET does); "epoch-seconds key" per new key.
/usr/bin/python3 - "$URL" "$W" <<'EOF' &
import os, re, sys, time, urllib.request
url, w = sys.argv[1], sys.argv[2]
seen, out = set(), open(os.path.join(w, "seen"), "a")
deadline = time.time() + 3600
while not os.path.exists(os.path.join(w, "stop")) and time.time() < deadline:
    body = urllib.request.urlopen(url + "/lake?list-type=2&prefix=lat/").read().decode()
    now = time.time()
    for k in re.findall(r"<Key>([^<]*)</Key>", body):
        if k not in seen:
            seen.add(k)
            out.write("%.3f %s\n" % (now, k))
            out.flush()
    time.sleep(0.05)
EOF
PIDS+=($!)

mkfifo "$W/acks"
"$BIN/kcons" -v -b "$BROKERS" -t lat -G lat -J --commit-acks "$W/acks" 2>"$W/kcons.err" |
    "$BIN/s3put" --endpoint "$URL" --max-age "$AGE" 's3://lake/lat/dt=%Y-%m-%d/' \
    >"$W/acks" 2>"$W/s3put.err" &
PIPE=$!
for _ in $(seq 300); do grep -q 'assigned: lat' "$W/kcons.err" && break; sleep 0.1; done

echo "$N records, one a second, s3put --max-age $AGE ..."
t0=$(date +%s.%N)
for i in $(seq 0 $((N - 1))); do
	printf '{"seq":%d,"symbol":"SYM-%03d","current_price":%d.25}\n' "$i" $((i % 77)) $((1000 + i)) |
	    "$BIN/kprod" -b "$BROKERS" -t lat
	echo "$i $(date +%s.%N)" >>"$W/delivered"
	sleep "$(echo "$t0 + $i + 1 - $(date +%s.%N)" | bc | sed 's/^-.*/0/')"
done
# Until the last record's object is listed (its age is AGE), then stop.
for _ in $(seq $(( (AGE + 30) * 10 ))); do
	"$BIN/s3cat" --endpoint "$URL" --list s3://lake/lat/ 2>/dev/null |
	    jq -e "select(.type == \"partition\" and .last_offset == $((N - 1)))" >/dev/null && break
	sleep 0.1
done
touch "$W/stop"
pkill -TERM -f "kcons -v -b $BROKERS -t lat" || true
wait "$PIPE" || true

"$BIN/s3cat" --endpoint "$URL" --list s3://lake/lat/ >"$W/inv"
jq -r 'select(.type == "object") | "\(.key) \(.first_offset) \(.last_offset)"' "$W/inv" >"$W/objects"
# latency per record: the first listing of its object less its delivery.
awk 'FILENAME ~ /seen$/ { at[$2] = $1; next }
     FILENAME ~ /objects$/ { for (o = $2; o <= $3; o++) key[o] = $1; next }
     { if (!($1 in key) || !(key[$1] in at)) { print "missing", $1; exit 1 }
       printf "%.3f\n", at[key[$1]] - $2 }' "$W/seen" "$W/objects" "$W/delivered" | sort -n >"$W/lat"
if grep -q missing "$W/lat"; then echo "a record never listed: $(grep missing "$W/lat")"; exit 1; fi
n=$(wc -l <"$W/lat")
printf 'records %d, objects %d; latency from delivery to listable: median %.2f s, p90 %.2f s, worst %.2f s, best %.2f s\n' \
    "$n" "$(wc -l <"$W/objects")" "$(sed -n "$(( (n + 1) / 2 ))p" "$W/lat")" \
    "$(sed -n "$(( (n * 9 + 9) / 10 ))p" "$W/lat")" "$(tail -1 "$W/lat")" "$(head -1 "$W/lat")"
