#!/bin/bash
# examples/producer.sh [cnn-fetch options] - the producer side, once:
#
#   cnn-fetch | quote-xform | kprod -t $QP_TOPIC -k .symbol
#
# Configured by the environment (for cron, Lambda and systemd alike):
#   KAFKA_BROKERS      the brokers (needed)
#   QP_TOPIC           the topic (default quotes)
#   QP_STATE           a cnn-fetch --state file: only changed quotes are
#                      sent, and the state is committed only after kprod
#                      has every message acknowledged
#   QP_XFORM           a jq program file for quote-xform (default: the
#                      built-in cleaning)
#   QP_KPROD_ARGS      more kprod options, e.g. "-X message.timeout.ms=30000"
#   QP_BIN             where the tools are (default: on PATH)
# Any stage failing makes the run fail with that stage named and its exit
# status; the other stages' statuses are printed too.
set -u
: "${KAFKA_BROKERS:?set KAFKA_BROKERS to the Kafka brokers}"
export KAFKA_BROKERS
[ -n "${QP_BIN:-}" ] && PATH=$QP_BIN:$PATH
fetch=(cnn-fetch "$@")
[ -n "${QP_STATE:-}" ] && fetch+=(--state "$QP_STATE")
xform=(quote-xform)
[ -n "${QP_XFORM:-}" ] && xform+=(-f "$QP_XFORM")
# shellcheck disable=SC2206 # word splitting of the extra options is meant
prod=(kprod -t "${QP_TOPIC:-quotes}" -k .symbol ${QP_KPROD_ARGS:-})

"${fetch[@]}" | "${xform[@]}" | "${prod[@]}"
status=("${PIPESTATUS[@]}")
names=(cnn-fetch quote-xform kprod)
failed=
for i in 0 1 2; do
	[ "${status[$i]}" -ne 0 ] && failed=$i
done
if [ -n "$failed" ]; then
	# The last stage that failed is the cause: a stage's failure ends
	# its input downstream cleanly, or its output upstream with EPIPE.
	for i in 0 1 2; do
		[ "${status[$i]}" -ne 0 ] &&
		    echo "producer: ${names[$i]} exited ${status[$i]}" >&2
	done
	echo "producer: failed at ${names[$failed]}" >&2
	exit "${status[$failed]}"
fi
if [ -n "${QP_STATE:-}" ] && [ -e "$QP_STATE.next" ]; then
	mv "$QP_STATE.next" "$QP_STATE"	# delivered: commit the state
fi
