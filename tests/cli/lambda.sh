# lambda-bootstrap against a stand-in for the Lambda Runtime API
# (tests/cli/lambdaapi.py, from AWS's published API): success, failure,
# init failure, the deadline; then the producer side as the handler.
. "$QP_ROOT/tests/lib.sh"
H=$T/handlers; mkdir -p "$H"

# api EVENTS...: start a Runtime API serving these events; sets API.
api() {
	local name=api$RANDOM
	printf '%s\n' "$@" >"$T/$name.events"
	: >"$T/$name.log"
	/usr/bin/python3 "$QP_ROOT/tests/cli/lambdaapi.py" --port-file "$T/$name.port" \
	    --log "$T/$name.log" --events "$T/$name.events" >/dev/null 2>&1 &
	PIDS+=("$!")
	wait_for 10 test -s "$T/$name.port"
	export AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$T/$name.port")
	LOG=$T/$name.log
}
posted() { jq -r "$1" "$LOG"; }

cat >"$H/echo" <<'SH'
#!/bin/sh
# The event in, a JSON answer out, with what the runtime passed.
ev=$(cat)
printf '{"event":%s,"id":"%s","deadline_set":%s,"qp_deadline_early":%s}\n' "$ev" "$LAMBDA_REQUEST_ID" \
    "$([ "$LAMBDA_DEADLINE_MS" -gt 0 ] && echo true || echo false)" \
    "$([ $((LAMBDA_DEADLINE_MS - QP_DEADLINE_MS)) -ge 2000 ] && echo true || echo false)"
SH
printf '#!/bin/sh\necho "starting" >&2\necho "producer: failed at kprod" >&2\nexit 69\n' >"$H/fail"
printf '#!/bin/sh\necho plain text out\n' >"$H/text"
printf '#!/bin/sh\nexec sleep 30\n' >"$H/slow"
# A handler that closes its output and then outlives the deadline.
printf '#!/bin/bash\necho "closing" >&2\nexec >&- 2>&-\nexec sleep 38\n' >"$H/closed"
# A handler that answers at once, leaving a process that holds its stderr.
printf '#!/bin/bash\n( exec >/dev/null; exec sleep 39 ) &\necho %s\n' "'{\"ok\":2}'" >"$H/leaver"
# A handler that never reads its event.
printf '#!/bin/sh\necho %s\n' "'{\"ok\":3}'" >"$H/noread"
# A handler that ignores the deadline, with a stage of its own running.
printf '#!/bin/bash\nsleep 37 &\necho "stage: still waiting" >&2\nwait\n' >"$H/slowgroup"
chmod +x "$H"/*

api '{"event":{"n":1}}' '{"event":{"n":2}}'
lambda-bootstrap "$H/echo" >"$T/out" 2>"$T/err"; rc=$?
is "two invocations in one environment: two responses, then exit when the API goes (69)" \
    "$rc $(posted 'select(.kind == "response") | .id' | tr '\n' ' ')" "69 req-1 req-2 "
is "  ... the event reaches the handler's stdin, its JSON stdout is the response" \
    "$(posted 'select(.id == "req-2") | .body' | jq -c .)" '{"event":{"n":2},"id":"req-2","deadline_set":true,"qp_deadline_early":true}'

api '{"event":{}}'
lambda-bootstrap "$H/fail" >"$T/out" 2>"$T/err"
is "a failing handler: an error posted with its status and last stderr line" \
    "$(posted 'select(.kind == "error") | .body' | jq -r '"\(.errorType) | \(.errorMessage)"')" \
    "Runtime.HandlerFailed | $H/fail exited 69: producer: failed at kprod"
is "  ... with Lambda-Runtime-Function-Error-Type" "$(posted '.headers["Lambda-Runtime-Function-Error-Type"]')" Unhandled
grep_file "  ... and its stderr in the function's log" "^producer: failed at kprod$" "$T/err"

api '{"event":{}}'
lambda-bootstrap "$H/text" >/dev/null 2>&1
is "output that is not JSON goes back as a JSON string" "$(posted .body)" '"plain text out\n"'

api '{"event":{}}'
lambda-bootstrap "$H/no-such-handler" >/dev/null 2>"$T/err"; rc=$?
is "a handler that cannot run: init error posted, exit 78, no event taken" \
    "$rc $(posted '"\(.kind) \(.body | fromjson | .errorType)"')" "78 init-error Runtime.InvalidHandler"
_HANDLER=$H/echo lambda-bootstrap >/dev/null 2>&1; rc=$?
is "the handler from _HANDLER (as the image's CMD sets it)" "$rc $(posted 'select(.kind == "response") | .id')" "69 req-1"

api '{"event":{},"deadline_ms":1500}'
start=$(date +%s.%N)
lambda-bootstrap "$H/slow" >/dev/null 2>"$T/err"
is "the deadline: the handler stopped, Runtime.Timeout posted before the deadline" \
    "$(posted '"\(.kind) \(.body | fromjson | .errorType)"') $(echo "$(posted .t) - $start < 1.5" | bc)" \
    "error Runtime.Timeout 1"
is "  ... and the handler is gone" "$(pgrep -f "$H/slow" | wc -l)" 0
# stopped WHAT HANDLER DEADLINE_MS LAST_WORDS: a handler past its deadline.
stopped() {
	api "{\"event\":{},\"deadline_ms\":$3}"
	lambda-bootstrap "$H/$2" >/dev/null 2>"$T/err"
	is "$1: Runtime.Timeout with its last words" \
	    "$(posted '.body | fromjson | "\(.errorType) | \(.errorMessage)"')" \
	    "Runtime.Timeout | $H/$2 was stopped 1500 ms before the deadline; its last words: $4"
	is "  ... posted at least 1 s before the deadline" "$(posted '.deadline_ms - .t * 1000 >= 1000')" true
}
stopped "a handler past the deadline with a stage of its own" slowgroup 2500 "stage: still waiting"
sleep 0.2
is "  ... and its whole process group is gone (the stage too)" "$(pgrep -fx "sleep 37" | wc -l) $(pgrep -f "$H/slowgroup" | wc -l)" "0 0"
stopped "a handler that closes stdout and stderr, then outlives the deadline" closed 3000 closing
api '{"event":{}}' '{"event":{}}'
start=$(date +%s%3N)
lambda-bootstrap "$H/leaver" >/dev/null 2>"$T/err"
took=$(( $(date +%s%3N) - start ))
is "a handler that answers and leaves a process holding its stderr: both answers posted at once ($took ms)" \
    "$(posted '"\(.kind) \(.body | fromjson | .ok)"' | tr '\n' ';') $([ "$took" -lt 3000 ] && echo fast)" \
    'response 2;response 2; fast'
is "  ... and what it left is ended, not run into the next invocation" "$(pgrep -fx "sleep 39" | wc -l)" 0
big=$(head -c 300000 /dev/zero | tr '\0' x)
api "{\"event\":{\"pad\":\"$big\"}}"
lambda-bootstrap "$H/noread" >/dev/null 2>"$T/err"; rc=$?
is "a handler that never reads a 300 KB event: its answer posted (no SIGPIPE)" \
    "$rc $(posted '"\(.kind) \(.body)"')" '69 response {"ok":3}'
# Lambda's 6 MB, both ways: an error posted, the next invocation served.
printf '#!/bin/sh\nhead -c 7000000 /dev/zero | tr "\\0" x\n' >"$H/huge"
chmod +x "$H/huge"
api '{"event":{}}' '{"event":{}}'
lambda-bootstrap "$H/huge" >/dev/null 2>"$T/err"; rc=$?
is "a response over 6 MB: Runtime.HandlerFailed posted, saying so, for each invocation" \
    "$rc $(posted '"\(.kind) \(.body | fromjson | "\(.errorType) \(.errorMessage)")"' | sort -u)" \
    "69 error Runtime.HandlerFailed the response is over Lambda's 6 MB"
huge=$(head -c 7000000 /dev/zero | tr '\0' x)
api "{\"event\":\"$huge\"}" '{"event":{"n":2}}'
lambda-bootstrap "$H/echo" >/dev/null 2>"$T/err"; rc=$?
is "an event over 6 MB: not passed on, Runtime.HandlerFailed posted; the next one served" \
    "$rc $(posted '"\(.id) \(.kind) \(.body | fromjson | .errorMessage // .event.n)"' | tr '\n' ';')" \
    "69 req-1 error the event is over Lambda's 6 MB;req-2 response 2;"
unset huge
env -u AWS_LAMBDA_RUNTIME_API lambda-bootstrap "$H/echo" >/dev/null 2>"$T/err"; rc=$?
is "outside Lambda (no AWS_LAMBDA_RUNTIME_API): exit 78, said" "$rc $(grep -c 'not running in Lambda' "$T/err")" "78 1"

# The producer side as the handler, as template.yaml configures it.
kmock_start -t quotes:3
api '{"event":{"source":"aws.events","detail-type":"Scheduled Event"}}'
KAFKA_BROKERS=$BROKERS QP_BIN=$QP_BIN QP_FETCH_ARGS="--base-url file://$QP_ROOT/examples/replay --date 2023-05-12" QP_STATE=$T/lambda.state \
    lambda-bootstrap "$QP_ROOT/examples/lambda/handler.sh" >/dev/null 2>"$T/err"
is "the producer side as the Lambda handler: a response, the quotes in Kafka" \
    "$(posted .kind) $(kcons -b "$BROKERS" -t quotes -e 2>/dev/null | wc -l)" "response 6"

# The broker down and a 20 s deadline: kprod gives up by QP_DEADLINE_MS,
# and the error posted is the handler's own, naming kprod and the broker
# failure, not Runtime.Timeout.
api '{"event":{},"deadline_ms":20000}'
KAFKA_BROKERS=127.0.0.1:1 QP_BIN=$QP_BIN QP_FETCH_ARGS="--base-url file://$QP_ROOT/examples/replay --date 2023-05-12" \
    QP_STATE=$T/down.state QP_KPROD_TIMEOUT=300 \
    lambda-bootstrap "$QP_ROOT/examples/lambda/handler.sh" >/dev/null 2>"$T/err"
is "broker down, 20 s deadline: the handler's error is posted (Runtime.HandlerFailed)" \
    "$(posted '"\(.kind) \(.body | fromjson | .errorType)"')" "error Runtime.HandlerFailed"
echo "# errorMessage: $(posted '.body | fromjson | .errorMessage')"
is "  ... naming kprod and the broker failure" \
    "$(posted '.body | fromjson | .errorMessage | test("failed at kprod .exit 69.: kprod: 6 of 6 messages not delivered by the deadline .*the brokers: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused")')" true
echo "# posted $(posted '.deadline_ms - .t * 1000 | floor') ms before the deadline"
is "  ... posted at least 1 s before the deadline" "$(posted '.deadline_ms - .t * 1000 >= 1000')" true
is "  ... and the state is not committed" "$(test -e "$T/down.state" && echo committed || echo not)" not

# template.yaml parses and names what the image and the bootstrap expect.
/usr/bin/python3 - "$QP_ROOT/examples/lambda" >"$T/tpl" 2>&1 <<'PY'
import os, re, sys, yaml
d = sys.argv[1]
class Loader(yaml.SafeLoader):
    pass
for tag in ("!Ref", "!GetAtt", "!Sub", "!Join", "!If", "!Equals"):
    Loader.add_constructor(tag, lambda l, n: {"tag": n.tag, "value": l.construct_scalar(n) if isinstance(n, yaml.ScalarNode) else l.construct_sequence(n)})
t = yaml.load(open(os.path.join(d, "template.yaml")), Loader=Loader)
f = t["Resources"]["ProducerFunction"]
p = f["Properties"]
docker = open(os.path.join(d, "..", "..", f["Metadata"]["Dockerfile"])).read()
print("transform", t["Transform"])
print("type", f["Type"], p["PackageType"])
print("schedule", [e["Properties"]["Schedule"] for e in p["Events"].values()][0])
print("env", " ".join(sorted(p["Environment"]["Variables"])))
print("base", sorted(set(re.findall(r"^FROM (\S+)", docker, re.M))))
print("entrypoint", re.search(r"^ENTRYPOINT (.*)$", docker, re.M).group(1))
cmd = yaml.safe_load(re.search(r"^CMD (.*)$", docker, re.M).group(1))[0]
copied = re.search(r"^COPY examples/lambda/handler.sh (\S+)$", docker, re.M).group(1)
print("cmd is the copied handler", cmd == copied)
PY
is "template.yaml: a SAM function, image-packaged, hourly as the original ran" \
    "$(sed -n '1,3p' "$T/tpl" | tr '\n' ';')" \
    "transform AWS::Serverless-2016-10-31;type AWS::Serverless::Function Image;schedule rate(1 hour);"
is "  ... with the settings producer.sh reads" "$(sed -n 4p "$T/tpl")" "env KAFKA_BROKERS QP_KPROD_TIMEOUT QP_STATE QP_TOPIC"
is "  ... its Dockerfile on debian:bookworm-slim, lambda-bootstrap as entrypoint, the handler as command" \
    "$(sed -n '5,7p' "$T/tpl" | tr '\n' ';')" \
    "base ['debian:bookworm-slim'];entrypoint [\"/usr/local/bin/lambda-bootstrap\"];cmd is the copied handler True;"
make -s -C "$QP_ROOT" install BUILD="$(cd "$QP_BIN/.." && pwd)" PREFIX=/usr/local DESTDIR="$T/img" >/dev/null 2>&1
cp "$QP_ROOT/examples/lambda/handler.sh" "$T/img/handler.sh"
check "  ... and make install puts lambda-bootstrap and producer.sh where the image expects" \
    test -x "$T/img/usr/local/bin/lambda-bootstrap" -a -x "$T/img/usr/local/share/quotepipe/producer.sh"
done_testing
