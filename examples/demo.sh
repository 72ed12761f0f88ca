#!/bin/bash
# examples/demo.sh [BIN_DIR] - the main job on embedded defaults.
#
# The producer side and the Kafka leg, so far: start a local broker
# (kmock), replay a saved answer of CNN's endpoint through cnn-fetch |
# quote-xform | kprod, read the records back with kcons, and show where
# they landed.  Needs no network beyond 127.0.0.1.  The quotes are
# examples/replay/ (invented values in CNN's shape).
set -euo pipefail
BIN=$(cd "${1:-build/bin}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/quotepipe-demo.XXXXXX)
KM=
trap '[ -n "$KM" ] && kill "$KM" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT

echo "== kmock: a local Kafka-protocol broker (3 brokers, topic quotes with 3 partitions)"
"$BIN/kmock" -t quotes:3 >"$W/kmock.out" &
KM=$!
for _ in $(seq 50); do [ -s "$W/kmock.out" ] && break; sleep 0.1; done
export KAFKA_BROKERS=$(head -1 "$W/kmock.out")
echo "   KAFKA_BROKERS=$KAFKA_BROKERS"

REPLAY=file://$HERE/replay
echo "== cnn-fetch --base-url $REPLAY --date 2023-05-12 | quote-xform | kprod -t quotes -k .symbol --report"
"$BIN/cnn-fetch" --base-url "$REPLAY" --date 2023-05-12 | "$BIN/quote-xform" |
    "$BIN/kprod" -t quotes -k .symbol --report
echo "== kcons -t quotes -e   (the cleaned quotes, byte for byte)"
"$BIN/kcons" -t quotes -e
echo "== kcons -t quotes -e -J   (envelopes), counted per partition"
"$BIN/kcons" -t quotes -e -J | sed 's/.*"partition":\([0-9]*\).*/partition \1/' | sort | uniq -c
echo "== done: $("$BIN/kcons" -t quotes -e | wc -l) cleaned quotes through Kafka and back"
