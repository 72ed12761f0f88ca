# tests/lib.sh - helpers for the CLI tests (sourced).
#
# TAP output: ok/not ok lines counted by tests/run.  Every server a test
# starts listens on 127.0.0.1 and is stopped when the script exits.
set -u
: "${QP_BIN:?run through tests/run}"
T=$(mktemp -d "${TMPDIR:-/tmp}/qp-test.XXXXXX")
N=0
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); echo "not ok $N - $*"; }
skip() { N=$((N + 1)); echo "ok $N - # SKIP $*"; }
# check NAME CMD... : the command succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
# is NAME GOT WANT
is() {
	if [ "$2" = "$3" ]; then ok "$1"
	else not_ok "$1"; echo "#   got:  $(printf %s "$2" | head -c 400)"
		echo "#   want: $(printf %s "$3" | head -c 400)"; fi
}
# same_file NAME GOT WANT: byte-identical files.
same_file() {
	if cmp -s "$2" "$3"; then ok "$1"
	else not_ok "$1"; cmp "$2" "$3" | sed 's/^/#   /'; fi
}
# grep_file NAME PATTERN FILE
grep_file() {
	if grep -qE -- "$2" "$3"; then ok "$1"
	else not_ok "$1"; echo "#   no /$2/ in:"; head -5 "$3" | sed 's/^/#   /'; fi
}
done_testing() { echo "1..$N"; exit 0; }

# kmock_start [kmock options]: a broker with a control FIFO; sets BROKERS.
kmock_start() {
	KMOCK_CTL=$T/kmock.ctl KMOCK_OUT=$T/kmock.out
	rm -f "$KMOCK_CTL"; mkfifo "$KMOCK_CTL"
	: >"$KMOCK_OUT"
	kmock -C "$KMOCK_CTL" "$@" >"$KMOCK_OUT" 2>>"$T/kmock.err" &
	KMOCK_PID=$!
	PIDS+=("$KMOCK_PID")
	# Keep a writer open so each command need not reopen the FIFO.
	exec 9>"$KMOCK_CTL"
	local i
	for i in $(seq 100); do
		[ -s "$KMOCK_OUT" ] && break
		sleep 0.05
	done
	BROKERS=$(head -1 "$KMOCK_OUT")
	[ -n "$BROKERS" ] || { echo "# kmock did not start"; cat "$T/kmock.err"; exit 1; }
	export BROKERS
}

# kmock_ctl COMMAND: run a fault-injection command, wait for its answer.
kmock_ctl() {
	local before i
	before=$(wc -l <"$KMOCK_OUT")
	echo "$*" >&9
	for i in $(seq 200); do
		[ "$(wc -l <"$KMOCK_OUT")" -gt "$before" ] && break
		sleep 0.02
	done
	tail -1 "$KMOCK_OUT" | grep -q '^ok '
}

# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
	local limit=$1 i; shift
	for i in $(seq $((limit * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# cnnserver_start NAME LOG DATA [--tls CERT KEY]: the stand-in for CNN's
# endpoint (tests/cli/cnnserver.py), logging requests to LOG and serving
# the quotes in DATA; its port is in $T/NAME.port.
cnnserver_start() {
	local name=$1 log=$2 data=$3; shift 3
	/usr/bin/python3 "$QP_ROOT/tests/cli/cnnserver.py" --port-file "$T/$name.port" \
	    --log "$log" --data "$data" "$@" >/dev/null 2>>"$T/server.err" &
	PIDS+=("$!")
	wait_for 10 test -s "$T/$name.port" ||
	    { echo "# the CNN stand-in did not start"; cat "$T/server.err"; exit 1; }
}

# s3rver_start [BUCKET...]: s3rver (the S3 API server of the tests, from
# npm, see tests/deps.sh) on 127.0.0.1 with those buckets; sets S3_URL and
# the test credentials (s3rver's own, which it does not check).
s3rver_start() {
	local b args=() i
	for b in "$@"; do args+=(--configure-bucket "$b"); done
	mkdir -p "$T/s3data"
	# s3rver 3.7 makes ListObjectsV2 continuation tokens with DES, which
	# Node 17+ (OpenSSL 3) has only in its legacy provider.
	NODE_OPTIONS=--openssl-legacy-provider \
	    "$QP_ROOT/build/npm/node_modules/.bin/s3rver" -d "$T/s3data" -a 127.0.0.1 -p 0 \
	    "${args[@]}" >"$T/s3rver.log" 2>&1 &
	PIDS+=("$!")
	for i in $(seq 100); do
		grep -qs 'listening on' "$T/s3rver.log" && break
		sleep 0.1
	done
	S3_URL=http://$(grep -oE '127\.0\.0\.1:[0-9]+' "$T/s3rver.log" | head -1)
	[ "$S3_URL" != http:// ] || { echo "# s3rver did not start"; cat "$T/s3rver.log"; exit 1; }
	export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_CA_BUNDLE \
	    AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_STS AWS_ROLE_ARN \
	    AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_SESSION_NAME AWS_IGNORE_CONFIGURED_ENDPOINT_URLS \
	    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI
	export AWS_EC2_METADATA_DISABLED=true AWS_SHARED_CREDENTIALS_FILE=$T/no-credentials \
	    AWS_CONFIG_FILE=$T/no-config
}

# s3proxy_start UPSTREAM: the fault-injecting recorder (tests/cli/s3proxy.py)
# in front of UPSTREAM; sets PROXY_URL; rules in $T/rules, log in $T/proxy.log.
s3proxy_start() {
	echo '[]' >"$T/rules"
	/usr/bin/python3 "$QP_ROOT/tests/cli/s3proxy.py" --upstream "$1" \
	    --port-file "$T/proxy.port" --log "$T/proxy.log" --rules "$T/rules" \
	    >/dev/null 2>>"$T/proxy.err" &
	PIDS+=("$!")
	wait_for 10 test -s "$T/proxy.port" || { echo "# s3proxy did not start"; cat "$T/proxy.err"; exit 1; }
	PROXY_URL=http://127.0.0.1:$(cat "$T/proxy.port")
}

# mute_start: a server that accepts connections and never answers (it
# reads and drops what is sent, and holds each connection open); sets
# MUTE_URL.  For "a request that waits": only a signal or a timeout ends it.
mute_start() {
	/usr/bin/python3 -c '
import socket, sys, threading
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
def hold(c):
    while c.recv(65536):
        pass
while True:
    c, _ = s.accept()
    threading.Thread(target=hold, args=(c,), daemon=True).start()
' "$T/mute.port" >/dev/null 2>>"$T/mute.err" &
	PIDS+=("$!")
	wait_for 10 test -s "$T/mute.port" || { echo "# the mute server did not start"; cat "$T/mute.err"; exit 1; }
	MUTE_URL=http://127.0.0.1:$(cat "$T/mute.port")
}

# signal_wait PID SIG: send SIG to PID, a child of this shell, and wait
# up to 10 s for it to exit (then KILL); sets SIG_RC to its exit status
# and SIG_MS to the milliseconds from the signal to its exit.
signal_wait() {
	local p=$1 t0 i
	t0=$(date +%s%N); kill -"$2" "$p" 2>/dev/null
	for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null; wait "$p"; SIG_RC=$?
	SIG_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# signal_after SECONDS SIG CMD...: run CMD (its stdout and stderr are
# the caller's) and signal_wait it after SECONDS.
signal_after() {
	local s=$1 sig=$2 p; shift 2
	"$@" & p=$!
	sleep "$s"
	signal_wait "$p" "$sig"
}

# consumer_start NAME TOPIC GROUP S3PUT_ARGS...: the consumer side,
#   kcons -J -G GROUP --commit-acks FIFO | s3put S3PUT_ARGS... > FIFO
# in the background, against kmock and s3rver, its two ends joined by a
# FIFO of their own so that each has its pid: KC_NAME and SP_NAME.  kcons
# also gets "${KCONS_ARGS[@]}"; stderr goes (appended) to
# $T/NAME.kcons.err and $T/NAME.s3put.err.
consumer_start() {
	local n=$1 topic=$2 group=$3; shift 3
	rm -f "$T/$n.data" "$T/$n.acks"; mkfifo "$T/$n.data" "$T/$n.acks"
	kcons -v -b "$BROKERS" -t "$topic" -G "$group" -J --commit-acks "$T/$n.acks" \
	    ${KCONS_ARGS[@]+"${KCONS_ARGS[@]}"} >"$T/$n.data" 2>>"$T/$n.kcons.err" &
	eval "KC_$n=$!"
	s3put -v --endpoint "$S3_URL" "$@" <"$T/$n.data" >"$T/$n.acks" 2>>"$T/$n.s3put.err" &
	eval "SP_$n=$!"
}

# aws3 ARGS...: the AWS CLI (Debian's) against s3rver.
aws3() { /usr/bin/aws --endpoint-url "$S3_URL" "$@"; }

# s3_keys BUCKET PREFIX: the keys under s3://BUCKET/PREFIX, sorted, one a line.
s3_keys() {
	aws3 s3api list-objects-v2 --bucket "$1" --prefix "$2" --query 'Contents[].Key' \
	    --output text | tr '\t' '\n' | grep -vx None | sort
}

# A quote-shaped record (invented values) numbered $1.
quote_lines() {	# quote_lines COUNT [SYMBOLS]
	awk -v n="$1" -v s="${2:-50}" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "{\"name\":\"Index %d\",\"symbol\":\"SYM-%04d\",\"current_price\":%d.%02d,\"seq\":%d,\"country\":{\"code\":\"C%02d\"}}\n", i % s, i % s, 1000 + i % 997, i % 100, i, i % 7
	}'
}

# pipe_deadline SECONDS CMD...: for the left side of a pipeline.  Runs CMD
# with a deadline, like timeout(1), but lets go of the pipe itself so the
# reader sees EOF as soon as CMD closes its stdout (timeout(1) would hold
# the write end open until CMD exits).  Exits with CMD's status, 124 if
# the deadline killed it.
pipe_deadline() {
	local s=$1 p w rc; shift
	"$@" & p=$!
	exec >/dev/null
	( sleep "$s"; touch "$T/deadline.$p"; kill -TERM "$p" 2>/dev/null ) >/dev/null 2>&1 & w=$!
	wait "$p"; rc=$?
	kill "$w" 2>/dev/null
	[ -e "$T/deadline.$p" ] && rc=124
	return "$rc"
}

# awsworld_start [awsworld.py options]: the AWS stand-in (tests/cli/awsworld.py)
# in front of $S3_URL (s3rver_start first): an HTTPS-intercepting proxy for
# *.amazonaws.com (STS and S3) and a plain-HTTP endpoint, checking every
# SigV4 signature; it knows s3rver's key S3RVER.  Makes the test CA once
# ($T/ca.pem, $T/ca.key); sets AWS_WORLD_PORT, AWS_WORLD_URL and WORLD_CA;
# log in $T/world.log, rules in $T/world.rules.  A client goes through it
# with HTTPS_PROXY=$AWS_WORLD_URL and AWS_CA_BUNDLE=$WORLD_CA (curl:
# CURL_CA_BUNDLE), or directly with --endpoint-url $AWS_WORLD_URL.
awsworld_start() {
	if [ ! -s "$T/ca.pem" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		    -keyout "$T/ca.key" -out "$T/ca.pem" -days 30 -subj "/CN=quotepipe test CA" \
		    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		    >/dev/null 2>"$T/ca.err" ||
		    { echo "# could not make the test CA"; cat "$T/ca.err"; exit 1; }
	fi
	echo '[]' >"$T/world.rules"
	: >>"$T/world.log"
	rm -f "$T/world.port"
	/usr/bin/python3 "$QP_ROOT/tests/cli/awsworld.py" --s3-upstream "$S3_URL" \
	    --ca-cert "$T/ca.pem" --ca-key "$T/ca.key" --key S3RVER:S3RVER \
	    --port-file "$T/world.port" --log "$T/world.log" --rules "$T/world.rules" "$@" \
	    >/dev/null 2>>"$T/world.err" &
	PIDS+=("$!")
	wait_for 10 test -s "$T/world.port" ||
	    { echo "# the AWS stand-in did not start"; cat "$T/world.err"; exit 1; }
	AWS_WORLD_PORT=$(cat "$T/world.port")
	AWS_WORLD_URL=http://127.0.0.1:$AWS_WORLD_PORT
	WORLD_CA=$T/ca.pem
	export AWS_WORLD_PORT AWS_WORLD_URL WORLD_CA
}
