#!/bin/bash
# examples/consumer.sh s3://BUCKET/TEMPLATE [s3put options] - the consumer
# side, as a long-running service:
#
#   kcons -J -G $QP_GROUP -t $QP_TOPIC --commit-acks FIFO |
#       s3put s3://BUCKET/TEMPLATE ... > FIFO
#
# Offsets are committed only from s3put's acks: after S3 has the data.
# Configured by the environment:
#   KAFKA_BROKERS      the brokers (needed)
#   QP_TOPIC           the topic (default quotes)
#   QP_GROUP           the consumer group (default quotes-s3)
#   QP_KCONS_ARGS      more kcons options (e.g. -e to stop at the end)
#   QP_BIN             where the tools are (default: on PATH)
# SIGTERM or SIGINT stop it cleanly: kcons stops reading, s3put stores
# what it holds, kcons commits the last acks, both exit.  Either stage
# failing makes the run fail with that stage named.
set -u
: "${KAFKA_BROKERS:?set KAFKA_BROKERS to the Kafka brokers}"
export KAFKA_BROKERS
[ $# -ge 1 ] || { echo "usage: consumer.sh s3://BUCKET/TEMPLATE [s3put options]" >&2; exit 64; }
[ -n "${QP_BIN:-}" ] && PATH=$QP_BIN:$PATH
dir=$(mktemp -d "${TMPDIR:-/tmp}/quotepipe-consumer.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/records" "$dir/acks"

# shellcheck disable=SC2206 # word splitting of the extra options is meant
kcons -J -G "${QP_GROUP:-quotes-s3}" -t "${QP_TOPIC:-quotes}" \
    --commit-acks "$dir/acks" ${QP_KCONS_ARGS:-} >"$dir/records" &
kc=$!
s3put "$@" <"$dir/records" >"$dir/acks" &
sp=$!
trap 'kill -TERM "$kc" 2>/dev/null' TERM INT

# wait returns early when a trapped signal arrives: wait again.
wait_for_exit() {
	local rc
	while :; do
		wait "$1"; rc=$?
		kill -0 "$1" 2>/dev/null || return "$rc"
	done
}
wait_for_exit "$kc"; kc_rc=$?
wait_for_exit "$sp"; sp_rc=$?
[ "$kc_rc" -ne 0 ] && echo "consumer: kcons exited $kc_rc" >&2
[ "$sp_rc" -ne 0 ] && echo "consumer: s3put exited $sp_rc" >&2
if [ "$sp_rc" -ne 0 ]; then
	echo "consumer: failed at s3put" >&2
	exit "$sp_rc"
fi
if [ "$kc_rc" -ne 0 ]; then
	echo "consumer: failed at kcons" >&2
	exit "$kc_rc"
fi
