#!/bin/bash
# examples/lambda/handler.sh - the producer side as a Lambda handler, run
# by lambda-bootstrap for every invocation (template.yaml: hourly).
#
# The event (on stdin) is not needed: the schedule is the request.  The
# settings come from the function's environment: KAFKA_BROKERS, QP_TOPIC
# and the rest of producer.sh's; QP_FETCH_ARGS adds cnn-fetch options;
# QP_STATE defaults to /tmp/quotepipe.state, which a warm Lambda
# environment keeps between invocations (a cold one starts afresh, and
# may then resend quotes already sent: see README, "Delivery").
set -u
cat >/dev/null
HERE=$(cd "$(dirname "$0")/.." && pwd)
export QP_STATE=${QP_STATE:-/tmp/quotepipe.state}
start=$(date +%s%3N)
# shellcheck disable=SC2086 # the extra options are meant to split
"$HERE/producer.sh" ${QP_FETCH_ARGS:-} >&2 || exit $?
printf '{"status":"ok","topic":"%s","ms":%d}\n' "${QP_TOPIC:-quotes}" "$(( $(date +%s%3N) - start ))"
