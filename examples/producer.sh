#!/bin/bash
# examples/producer.sh [cnn-fetch options] - the producer side, once:
#
#   cnn-fetch | quote-xform | kprod -t $QP_TOPIC -k .symbol -T $QP_KPROD_TIMEOUT
#
# Configured by the environment (for cron, Lambda and systemd alike):
#   KAFKA_BROKERS      the brokers (needed)
#   QP_TOPIC           the topic (default quotes)
#   QP_STATE           a cnn-fetch --state file: only changed quotes are
#                      sent, and the state is committed only after kprod
#                      has every message acknowledged
#   QP_XFORM           a jq program file for quote-xform (default: the
#                      built-in cleaning)
#   QP_KPROD_TIMEOUT   seconds kprod keeps trying to deliver a message
#                      before it gives up and fails the run (kprod -T;
#                      default 60, where librdkafka alone waits 300)
#   QP_DEADLINE_MS     a time, in milliseconds since the epoch, by which
#                      every stage has given up and said why
#                      (lambda-bootstrap sets it from the invocation's
#                      deadline; unset: no deadline)
#   QP_KPROD_ARGS      more kprod options, e.g. "-X linger.ms=100"
#   QP_BIN             where the tools are (default: on PATH)
# Any stage failing makes the run fail with that stage's exit status and
# a last line that names the stage and quotes its own last message:
#   producer: failed at kprod (exit 69): kprod: 6 of 6 messages not ...
# The other stages' statuses are printed before it.
set -u
: "${KAFKA_BROKERS:?set KAFKA_BROKERS to the Kafka brokers}"
export KAFKA_BROKERS
[ -n "${QP_BIN:-}" ] && PATH=$QP_BIN:$PATH
fetch=(cnn-fetch "$@")
[ -n "${QP_STATE:-}" ] && fetch+=(--state "$QP_STATE")
xform=(quote-xform)
[ -n "${QP_XFORM:-}" ] && xform+=(-f "$QP_XFORM")
# shellcheck disable=SC2206 # word splitting of the extra options is meant
prod=(kprod -t "${QP_TOPIC:-quotes}" -k .symbol -T "${QP_KPROD_TIMEOUT:-60}" ${QP_KPROD_ARGS:-})
names=(cnn-fetch quote-xform kprod)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/quotepipe-producer.XXXXXX") || exit 73
trap 'rm -rf "$tmp"' EXIT

# The stages' stderr, in the order it was written, passed on as it
# comes; each stage's last line that is not a warning or a stats report
# is kept for the summary.  It is the last command of the pipeline
# below, so it has read everything before the summary is written; it
# ignores INT and TERM and reads on to the end, so that the stages'
# last words after a stop signal are passed on too.
stage_log() {
	local l i last=("" "" "")
	trap '' INT TERM
	while IFS= read -r l || [ -n "$l" ]; do
		printf '%s\n' "$l" >&2
		for i in 0 1 2; do
			case $l in
			"${names[$i]}: warning: "*|"${names[$i]}: stats"*) ;;
			"${names[$i]}: "*) last[$i]=$l ;;
			esac
		done
	done
	for i in 0 1 2; do printf '%s\n' "${last[$i]}" >"$tmp/last.$i"; done
}

# INT or TERM (systemd, lambda-bootstrap and ^C signal the whole process
# group): the stages stop and flush; this script waits for them and still
# writes the summary.
trap 'signalled=1' INT TERM
signalled=
# kprod's stdout is ours; if ours is closed, kprod's goes nowhere.
{ exec 3>&1; } 2>/dev/null || exec 3>/dev/null
{
	trap 'true' INT TERM	# a subshell: it must live to write the statuses
	"${fetch[@]}" | "${xform[@]}" | "${prod[@]}" >&3
	echo "${PIPESTATUS[*]}" >"$tmp/status"
} 2>&1 | stage_log
read -r -a status <"$tmp/status" 2>/dev/null || status=(70 70 70)
failed=
for i in 0 1 2; do
	[ "${status[$i]}" -ne 0 ] && failed=$i
done
if [ -n "$failed" ]; then
	# The last stage that failed is the cause: a stage's failure ends
	# its input downstream cleanly, or its output upstream with EPIPE.
	for i in 0 1 2; do
		[ "${status[$i]}" -ne 0 ] && [ "$i" != "$failed" ] &&
		    echo "producer: ${names[$i]} exited ${status[$i]}" >&2
	done
	why=$(cat "$tmp/last.$failed" 2>/dev/null)
	echo "producer: failed at ${names[$failed]} (exit ${status[$failed]})${why:+: $why}" >&2
	exit "${status[$failed]}"
fi
[ -n "$signalled" ] && echo "producer: stopped by a signal after every stage finished" >&2
if [ -n "${QP_STATE:-}" ] && [ -e "$QP_STATE.next" ]; then
	mv "$QP_STATE.next" "$QP_STATE"	# delivered: commit the state
fi
