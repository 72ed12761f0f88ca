#!/bin/bash
# examples/analytics.sh s3://BUCKET/TEMPLATE [s3put options] - the
# analytics consumer, as a long-running service: bars per symbol and
# window, to a Kafka topic (keyed by the bar's id) and to S3:
#
#   kcons -J -G $QP_GROUP -t $QP_TOPIC --commit-acks ACKS |
#       quote-window --state $QP_WINDOW_STATE --acks ACKS $QP_WINDOW_ARGS |
#       tee >(kprod -t $QP_BARS_TOPIC -k .id) |
#       s3put s3://BUCKET/TEMPLATE ...
#
# Offsets are committed only from quote-window's acks: once the
# checkpoint that counted the records is on disk.  A restart goes on
# from the checkpoint: nothing lost, nothing counted twice; a bar
# written after the last checkpoint is written again, the same, under
# the same id (a compacted topic or a query by id sees it once).
# Configured by the environment:
#   KAFKA_BROKERS      the brokers (needed)
#   QP_TOPIC           the quotes' topic (default quotes)
#   QP_GROUP           the consumer group (default quotes-analytics)
#   QP_BARS_TOPIC      the bars' topic (default quotes-1m)
#   QP_WINDOW_STATE    the checkpoint (default $STATE_DIRECTORY/bars.state,
#                      else ./bars.state)
#   QP_WINDOW_ARGS     quote-window options (default --size 1m --top 5
#                      --lateness 20s --idle 5m)
#   QP_KCONS_ARGS      more kcons options (e.g. -e to stop at the end)
#   QP_BIN             where the tools are (default: on PATH)
# SIGTERM or SIGINT stop it cleanly: kcons stops reading, quote-window
# checkpoints its open windows and acks, kcons commits them, the bars
# written are delivered and stored, all exit.  A failing stage makes the
# run fail with that stage named.
set -u
: "${KAFKA_BROKERS:?set KAFKA_BROKERS to the Kafka brokers}"
export KAFKA_BROKERS
[ $# -ge 1 ] || { echo "usage: analytics.sh s3://BUCKET/TEMPLATE [s3put options]" >&2; exit 64; }
[ -n "${QP_BIN:-}" ] && PATH=$QP_BIN:$PATH
state=${QP_WINDOW_STATE:-${STATE_DIRECTORY:-.}/bars.state}
dir=$(mktemp -d "${TMPDIR:-/tmp}/quotepipe-analytics.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/records" "$dir/acks" "$dir/bars" "$dir/bars.kafka" "$dir/bars.s3"

# shellcheck disable=SC2086 # word splitting of the extra options is meant
kcons -J -G "${QP_GROUP:-quotes-analytics}" -t "${QP_TOPIC:-quotes}" \
    --commit-acks "$dir/acks" ${QP_KCONS_ARGS:-} >"$dir/records" &
kc=$!
pids=("$kc") names=(kcons)
# shellcheck disable=SC2086
# The acks FIFO is opened here, not by quote-window: should quote-window
# stop before it opens it (a bad option, a state it refuses), kcons sees
# the writer go and stops too.
quote-window --state "$state" --acks /dev/fd/3 \
    ${QP_WINDOW_ARGS:---size 1m --top 5 --lateness 20s --idle 5m} \
    <"$dir/records" >"$dir/bars" 3>"$dir/acks" &
pids+=("$!") names+=(quote-window)
tee "$dir/bars.kafka" <"$dir/bars" >"$dir/bars.s3" &
pids+=("$!") names+=(tee)
kprod -t "${QP_BARS_TOPIC:-quotes-1m}" -k .id <"$dir/bars.kafka" &
pids+=("$!") names+=(kprod)
# The bars are records, not envelopes: s3put's acks commit nothing.
s3put "$@" <"$dir/bars.s3" >/dev/null &
pids+=("$!") names+=(s3put)
trap 'kill -TERM "$kc" 2>/dev/null' TERM INT

# The stages, as they end: the first to fail is the one named, and it
# stops the rest (kcons first: quote-window checkpoints and acks what it
# can, the others see their input end).  A trapped signal interrupts
# wait: wait again.
fail=0 failed=
while [ "${#pids[@]}" -gt 0 ]; do
	pid=
	wait -n -p pid "${pids[@]}"; rc=$?
	[ -n "${pid:-}" ] || continue
	for i in "${!pids[@]}"; do
		[ "${pids[$i]}" = "$pid" ] || continue
		if [ "$rc" -ne 0 ]; then
			echo "analytics: ${names[$i]} exited $rc" >&2
			if [ "$fail" -eq 0 ]; then
				fail=$rc failed=${names[$i]}
				kill -TERM "$kc" 2>/dev/null
			fi
		fi
		unset 'pids[i]' 'names[i]'
	done
done
if [ "$fail" -ne 0 ]; then
	echo "analytics: failed at $failed" >&2
	exit "$fail"
fi
