# cnn-fetch against a stand-in for CNN's endpoint on 127.0.0.1
# (tests/cli/cnnserver.py) that plays every case: success, encodings,
# errors, retries, stalls, bad bodies, conditional polling, TLS.
. "$QP_ROOT/tests/lib.sh"
F=$QP_ROOT/tests/fixtures
EXPECT=$F/quotes.jsonl			# the quotes, one compact object a line
REQ=$T/requests.jsonl			# what the server saw

cnnserver_start http "$REQ" "$EXPECT"
PORT=$(cat "$T/http.port")
URL=http://127.0.0.1:$PORT
D=/markets/world/regions/Americas,Asia-Pacific,Europe/2023-05-12

# cf CASE [options]: one fetch of the case; sets rc, output in $T/out, $T/err.
cf() {
	local c=$1; shift
	: >"$REQ"
	cnn-fetch --base-url "$URL/$c" --date 2023-05-12 --retry-delay 0.1 \
	    --timeout 1 "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
# req N FIELD: a field of the Nth request the server saw (jq syntax).
req() { sed -n "$1p" "$REQ" | jq -r "$2"; }
nreq() { wc -l <"$REQ" | tr -d ' '; }
# term PID: SIGTERM it; sets rc and took (seconds until it exited).
term() {
	local start; start=$(date +%s.%N)
	kill -TERM "$1"; wait "$1"; rc=$?
	took=$(echo "$(date +%s.%N) - $start" | bc)
}

cf ok
is "200: exit 0" "$rc" 0
same_file "  ... one quote object per line, unmodified, in order" "$T/out" "$EXPECT"
is "  ... GET of BASE/markets/world/regions/REGIONS/DATE" "$(req 1 .path)" "/ok$D"
is "  ... with a browser's headers" \
    "$(req 1 '[.headers.origin, .headers.referer, .headers.accept, (.headers["user-agent"] | test("Chrome/"))] | join(" ")')" \
    "https://edition.cnn.com https://edition.cnn.com/ */* true"

: >"$REQ"
cnn-fetch --base-url "$URL/ok/" >/dev/null 2>&1
is "the date defaults to today in UTC" "$(req 1 .date)" "$(date -u +%F)"
cf ok --regions Europe,Asia-Pacific -H 'X-Trace: 42' -H 'User-Agent: qp-test' -H 'Origin:'
is "--regions, -H adds, replaces and removes headers" \
    "$(req 1 '[.regions, .headers["x-trace"], .headers["user-agent"], (.headers.origin // "none")] | join(" ")')" \
    "Europe,Asia-Pacific 42 qp-test none"

cf gzip
is "gzip: exit 0, gzip offered" "$rc $(req 1 '.headers["accept-encoding"] | test("gzip")')" "0 true"
same_file "  ... the quotes decoded" "$T/out" "$EXPECT"
cf deflate
is "deflate: exit 0, the quotes decoded" "$rc $(cmp -s "$T/out" "$EXPECT" && echo same)" "0 same"
cf redirect
is "a redirect is followed" "$rc $(nreq) $(cmp -s "$T/out" "$EXPECT" && echo same)" "0 2 same"

cf notfound
is "404: exit 76 (EX_PROTOCOL), no output, not retried" "$rc $(wc -c <"$T/out") $(nreq)" "76 0 1"
grep_file "  ... the message names the URL and the status" \
    "^cnn-fetch: $URL/notfound$D: HTTP 404 Not Found$" "$T/err"

cf ratelimit
is "429 + Retry-After, then 200: exit 0 after 2 requests" "$rc $(nreq)" "0 2"
same_file "  ... all the quotes, once" "$T/out" "$EXPECT"
gap=$(jq -s '.[1].t - .[0].t' "$REQ")
is "  ... the retry waited Retry-After's 1 s, not --retry-delay's 0.1 s (waited $gap s)" \
    "$(echo "$gap >= 1.0 && $gap < 2.5" | bc)" 1
grep_file "  ... and said why on stderr" "HTTP 429 Too Many Requests; retry 1 of 3 in 1.0 s" "$T/err"

cf flaky
is "503 twice, then 200: exit 0 after 3 requests" "$rc $(nreq)" "0 3"
same_file "  ... all the quotes, once" "$T/out" "$EXPECT"
gaps=$(jq -rs '"\(.[1].t - .[0].t) \(.[2].t - .[1].t)"' "$REQ")
is "  ... backing off: the 1st wait within 0.05-0.1 s, the 2nd within 0.1-0.2 s (+slack) ($gaps)" \
    "$(echo "$gaps" | awk '{ print ($1 >= 0.05 && $1 < 0.5 && $2 >= 0.1 && $2 < 0.6) }')" 1

cf down
is "503 always: exit 69 (EX_UNAVAILABLE, as every tool after the retries) after 1 + 3 retries, no output" \
    "$rc $(nreq) $(wc -c <"$T/out")" "69 4 0"
grep_file "  ... the message names the URL, the status, the attempts" \
    "^cnn-fetch: $URL/down$D: HTTP 503 Service Unavailable \(gave up after 4 attempts\)$" "$T/err"
cf down --retries 0
is "--retries 0: one request" "$rc $(nreq)" "69 1"

start=$(date +%s.%N)
cf stall --timeout 0.5 --retries 1
took=$(echo "$(date +%s.%N) - $start" | bc)
is "a stall past --timeout: exit 69 after 2 attempts, no output" "$rc $(nreq) $(wc -c <"$T/out")" "69 2 0"
is "  ... each attempt cut at the timeout (took $took s, the server stalls 3 s)" \
    "$(echo "$took < 2.5" | bc)" 1
grep_file "  ... and says it timed out" "^cnn-fetch: $URL/stall$D: .*[Tt]imed? ?out.*\(gave up after 2 attempts\)$" "$T/err"
cf stallonce --timeout 0.5
is "one stall, then an answer: exit 0, all the quotes" \
    "$rc $(nreq) $(cmp -s "$T/out" "$EXPECT" && echo same)" "0 2 same"

# A deadline (QP_DEADLINE_MS, as lambda-bootstrap sets it) bounds the
# retries and each request, whatever --timeout and --retries say.
dl=$(( $(date +%s%3N) + 2500 ))
QP_DEADLINE_MS=$dl cf stall --timeout 30
now=$(date +%s%3N)
is "a stall, --timeout 30, QP_DEADLINE_MS 2.5 s away: exit 69 a second before the deadline, no output" \
    "$rc $([ "$now" -lt $((dl - 800)) ] && echo in-time) $(wc -c <"$T/out") $(nreq)" "69 in-time 0 1"
grep_file "  ... the request cut at the deadline, and said so" "^cnn-fetch: $URL/stall$D: .*[Tt]imed? ?out.*\(gave up after 1 attempt: no time for another before the deadline\)$" "$T/err"
QP_DEADLINE_MS=$(( $(date +%s%3N) + 1200 )) cf ok
is "  ... with too little time left for a request, none is made" "$rc $(nreq) $(grep -c 'gave up: the deadline (QP_DEADLINE_MS) has come$' "$T/err")" "69 0 1"
dl=$(( $(date +%s%3N) + 2500 ))
QP_DEADLINE_MS=$dl cf down --retries 20 --retry-delay 0.4
now=$(date +%s%3N)
is "503 always, --retries 20, QP_DEADLINE_MS 2.5 s away: exit 69 before the deadline ($(nreq) requests)" \
    "$rc $([ "$now" -lt "$dl" ] && echo in-time)" "69 in-time"
grep_file "  ... no retry started that could not end before it" \
    "^cnn-fetch: $URL/down$D: HTTP 503 Service Unavailable \(gave up after [0-9]+ attempts: no time for another before the deadline\)$" "$T/err"
QP_DEADLINE_MS=$(( $(date +%s%3N) + 60000 )) cf ok
is "a deadline far enough away changes nothing" "$rc $(cmp -s "$T/out" "$EXPECT" && echo same)" "0 same"
cf ok --timeout 0.3
is "--timeout below half a second, no deadline: a request is made (exit 0)" "$rc $(nreq)" "0 1"
QP_DEADLINE_MS=tomorrow cf ok
is "QP_DEADLINE_MS that is not milliseconds since the epoch: exit 78, said, no request" \
    "$rc $(nreq) $(grep -c '^cnn-fetch: QP_DEADLINE_MS=tomorrow: expected a time in milliseconds since the epoch$' "$T/err")" "78 0 1"

cf truncated --retries 1
is "a body cut short of Content-Length: retried, then exit 69, no output" \
    "$rc $(nreq) $(wc -c <"$T/out")" "69 2 0"
grep_file "  ... named a truncated body" "^cnn-fetch: $URL/truncated$D: truncated body: .*\(gave up after 2 attempts\)$" "$T/err"
cf cutjson
is "a body whose JSON stops halfway: exit 76, no output" "$rc $(wc -c <"$T/out")" "76 0"
grep_file "  ... named a truncated body" "^cnn-fetch: $URL/cutjson$D: the JSON ends early, at byte [0-9]+: truncated body$" "$T/err"
cf html
is "an HTML page: exit 76, no output" "$rc $(wc -c <"$T/out")" "76 0"
grep_file "  ... named as such" "^cnn-fetch: $URL/html$D: an HTML page \(text/html; charset=utf-8\), not JSON" "$T/err"
cf htmlasjson
is "an HTML page labelled JSON: exit 76, no output" "$rc $(wc -c <"$T/out") $(grep -c 'an HTML page' "$T/err")" "76 0 1"
cf object
is "a JSON object instead of an array: exit 76, no output" "$rc $(wc -c <"$T/out")" "76 0"
grep_file "  ... named as such" "^cnn-fetch: $URL/object$D: the body is an object, not an array of quotes$" "$T/err"
cf notquotes
is "an array holding a non-object: exit 76, no output (all or nothing)" \
    "$rc $(wc -c <"$T/out") $(grep -c 'element 2 of the array is a string' "$T/err")" "76 0 1"
# An empty 200 body: no buffer was ever allocated, so the check sees
# (NULL, 0), which clang's UBSan stops on (NULL + 0) if it reaches the
# scanner's pointer arithmetic; gcc's does not report it.
cf empty
is "an empty 200 body: exit 76, no output, no sanitizer report" \
    "$rc $(wc -c <"$T/out") $(grep -c 'runtime error' "$T/err")" "76 0 0"
grep_file "  ... named as such" "^cnn-fetch: $URL/empty$D: an empty body, not JSON$" "$T/err"
cf ok --max-size 100
is "a body over --max-size: exit 76, no output" \
    "$rc $(wc -c <"$T/out") $(grep -c 'larger than --max-size (100 bytes)' "$T/err")" "76 0 1"

# Replay from files, as the demo does.
mkdir -p "$T/replay/markets/world/regions/Americas,Asia-Pacific,Europe"
{ echo '['; sed '$!s/$/,/' "$EXPECT"; echo ']'; } >"$T/replay$D"
cnn-fetch --base-url "file://$T/replay" --date 2023-05-12 >"$T/out" 2>"$T/err"; rc=$?
is "file:// replays a saved answer" "$rc $(cmp -s "$T/out" "$EXPECT" && echo same)" "0 same"
cnn-fetch --base-url "file://$T/replay" --date 2023-05-13 >"$T/out" 2>"$T/err"; rc=$?
is "file:// with no file for the date: exit 66, no output" "$rc $(wc -c <"$T/out")" "66 0"

# --state: only quotes changed since the last committed run.
S=$T/state
cnn-fetch --base-url "file://$T/replay" --date 2023-05-12 --state "$S" >"$T/out" 2>"$T/err"; rc=$?
is "--state, first run: every quote, the new state in FILE.next" \
    "$rc $(wc -l <"$T/out") $(wc -l <"$S.next") $([ -e "$S" ] && echo has-state || echo no-state)" "0 3 3 no-state"
cnn-fetch --base-url "file://$T/replay" --date 2023-05-12 --state "$S" >"$T/out" 2>"$T/err"
is "  ... until FILE.next is moved over FILE (delivery confirmed), a rerun prints them again" "$(wc -l <"$T/out")" 3
mv "$S.next" "$S"
cnn-fetch --base-url "file://$T/replay" --date 2023-05-12 --state "$S" >"$T/out" 2>"$T/err"; rc=$?
is "  ... after it, the same answer prints nothing" "$rc $(wc -c <"$T/out")" "0 0"
sed -i '2s/"last_updated":"[^"]*"/"last_updated":"2023-05-12T22:00:00+00:00"/' "$T/replay$D"
cnn-fetch --base-url "file://$T/replay" --date 2023-05-12 --state "$S" >"$T/out" 2>"$T/err"; rc=$?
is "  ... and a changed quote prints just that one" "$rc $(jq -r .symbol "$T/out")" "0 $(sed -n 1p "$EXPECT" | jq -r .symbol)"
{ echo '{"key":"X"'; echo '{"key":"Y","stamp":"s"}'; } >"$T/badstate"
cnn-fetch --base-url "file://$T/replay" --date 2023-05-12 --state "$T/badstate" >"$T/out" 2>"$T/err"; rc=$?
is "  ... a state file with a broken line: a warning, the rest used" "$rc $(grep -c '1 lines could not be read' "$T/err")" "0 1"

# Two quotes with one symbol and two last_updated in one answer (issue 10,
# item 14): a repeated answer prints nothing new, polled or across runs.
mkdir -p "$T/twice/markets/world/regions/Americas,Asia-Pacific,Europe"
q=$(sed -n 1p "$EXPECT")
{ echo "[$q,"; echo "$q" | sed 's/"last_updated":"[^"]*"/"last_updated":"2023-05-12T23:00:00+00:00"/'
  echo ",$(sed -n 2p "$EXPECT")]"; } >"$T/twice$D"
cnn-fetch -v --base-url "file://$T/twice" --date 2023-05-12 --every 0.1 >"$T/out" 2>"$T/err" & p=$!
wait_for 10 sh -c "[ \$(grep -c 'quotes, . printed' '$T/err') -ge 4 ]"
kill -TERM "$p"; wait "$p"; rc=$?
is "--every, one symbol twice with two last_updated: each printed once over 4 polls" \
    "$rc $(wc -l <"$T/out") $(grep -o '[0-9]* printed' "$T/err" | cut -d' ' -f1 | uniq | tr '\n' ' ')" "0 3 3 0 "
rm -f "$S" "$S.next"
cnn-fetch --base-url "file://$T/twice" --date 2023-05-12 --state "$S" >/dev/null 2>"$T/err"
mv "$S.next" "$S"
cnn-fetch --base-url "file://$T/twice" --date 2023-05-12 --state "$S" >"$T/out" 2>"$T/err"; rc=$?
is "  ... and with --state, the same answer again prints nothing" "$rc $(wc -c <"$T/out")" "0 0"

for bad in "--date 2023-02-30" "--date 12/05/2023" "--timeout 0" "--timeout abc" \
    "--retries -1" "--every 0" "-H NoColon" "--max-size 0" "extra-arg"; do
	cnn-fetch $bad >/dev/null 2>"$T/err"; rc=$?
	is "bad usage '$bad': exit 64 with a message" "$rc $([ -s "$T/err" ] && echo said)" "64 said"
done

# Stopped mid-request: no partial output, EX_TEMPFAIL, at once.
: >"$REQ"
cnn-fetch --base-url "$URL/stall" --timeout 10 >"$T/out" 2>"$T/err" & p=$!
wait_for 5 test -s "$REQ"
term "$p"
is "SIGTERM during a request: exit 75 within 0.5 s, no output (took $took s)" \
    "$rc $(wc -c <"$T/out") $(echo "$took < 0.5" | bc)" "75 0 1"

# --every: conditional requests, only changed quotes, SIGTERM ends it.
: >"$REQ"
cnn-fetch --base-url "$URL/poll" --date 2023-05-12 --every 0.3 >"$T/out" 2>"$T/err" & p=$!
wait_for 10 sh -c "[ \$(wc -l <'$REQ') -ge 5 ]"
kill -TERM "$p"; wait "$p"; rc=$?
is "--every: SIGTERM ends it with exit 0" "$rc" 0
{ cat "$EXPECT"; sed -n 2p "$EXPECT" | sed 's/"last_updated":"[^"]*"/"last_updated":"2023-05-12T21:20:00+00:00"/'; } >"$T/want"
same_file "  ... prints every quote once, then only the quote whose last_updated changed" "$T/out" "$T/want"
is "  ... the polls are conditional (If-None-Match, If-Modified-Since)" \
    "$(req 2 '[.headers["if-none-match"], .headers["if-modified-since"]] | join(" | ")')" \
    '"v1" | Fri, 12 May 2023 21:16:27 GMT'
is "  ... and follow the new validators after a change" "$(req 4 '.headers["if-none-match"]')" '"v2"'
is "  ... the first request is not conditional" "$(req 1 '.headers["if-none-match"] // "none"')" none

: >"$REQ"
cnn-fetch --base-url "$URL/ok" --every 60 >"$T/out" 2>"$T/err" & p=$!
# The whole first poll out (not just its first line): then it waits.
wait_for 5 sh -c "[ \$(wc -l <'$T/out') -ge $(wc -l <"$EXPECT") ]"
term "$p"
is "--every 60: SIGTERM while waiting ends it at once with exit 0 (took $took s)" \
    "$rc $(echo "$took < 0.5" | bc) $(cmp -s "$T/out" "$EXPECT" && echo same)" "0 1 same"

cnn-fetch --base-url "$URL/ok" --date 2023-05-12 --every 0.2 2>"$T/err" | head -1 >"$T/out"
is "--every | head -1: ends quietly when the reader goes (exit 0, nothing said)" \
    "${PIPESTATUS[0]} $(wc -l <"$T/out") $(wc -c <"$T/err")" "0 1 0"
(cd "$T" && cnn-fetch --base-url examples/replay --date 2023-05-12) >"$T/out" 2>"$T/err"; rc=$?
is "--base-url without a scheme: exit 64 at once, one line naming what to use" \
    "$rc $(wc -l <"$T/err") $(grep -c "^cnn-fetch: --base-url examples/replay: needs http://, https:// or file://\$" "$T/err") $(wc -c <"$T/out")" "64 1 1 0"
mkdir -p "$T/replay"
(cd "$T" && cnn-fetch --base-url replay) >"$T/out" 2>"$T/err"; rc=$?
is "  ... a directory that is there: the file:// URL to use is named" \
    "$rc $(grep -c "(the directory: file://$T/replay)\$" "$T/err")" "64 1"

: >"$REQ"
cnn-fetch --base-url "$URL/down" --date 2023-05-12 --every 0.3 --retries 0 >"$T/out" 2>"$T/err" & p=$!
wait_for 10 sh -c "[ \$(wc -l <'$REQ') -ge 3 ]"
kill -TERM "$p"; wait "$p"; rc=$?
is "--every: a failed poll is reported and polling goes on" \
    "$rc $(grep -c 'HTTP 503' "$T/err")" "0 $(nreq)"

# The date rolls over at midnight UTC: a clock started at 23:59:59
# (faketime; the monotonic clock stays real).
: >"$REQ"
# libfaketime is preloaded directly: faketime(1) would fork, and the
# signal would reach the wrapper, not cnn-fetch (env(1) execs it).
fake_midnight=(env FAKETIME='@2023-05-12 23:59:59' FAKETIME_DONT_FAKE_MONOTONIC=1
    LD_PRELOAD="$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -1)"
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0")
# clang's ASan runtime and libfaketime deadlock at start (clock_gettime
# called while ASan initialises): that build cannot run this case.
if ! timeout 10 "${fake_midnight[@]}" cnn-fetch --version >/dev/null 2>&1; then
	skip "--every across midnight UTC: libfaketime cannot be preloaded into this build"
	skip "  ... and says so"
else
"${fake_midnight[@]}" cnn-fetch --base-url "$URL/ok" --every 0.4 >"$T/out" 2>"$T/err" & p=$!
wait_for 10 grep -q 2023-05-13 "$REQ"
kill -TERM "$p"; wait "$p"; rc=$?
is "--every across midnight UTC: the date rolls over" \
    "$rc $(jq -r .date "$REQ" | uniq | tr '\n' ' ')" "0 2023-05-12 2023-05-13 "
grep_file "  ... and says so" "the date rolls over to 2023-05-13" "$T/err"
fi

# TLS is verified: a self-signed server is refused unless its CA is given.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
    -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
cnnserver_start tls "$REQ" "$EXPECT" --tls "$T/cert.pem" "$T/key.pem"
TPORT=$(cat "$T/tls.port")
cnn-fetch --base-url "https://127.0.0.1:$TPORT/ok" --date 2023-05-12 >"$T/out" 2>"$T/err"; rc=$?
is "TLS: an unknown CA is refused, exit 69, no output" "$rc $(wc -c <"$T/out")" "69 0"
grep_file "  ... with curl's reason" "https://127.0.0.1:$TPORT/ok$D: SSL certificate problem" "$T/err"
cnn-fetch --cacert "$T/cert.pem" --base-url "https://127.0.0.1:$TPORT/ok" --date 2023-05-12 >"$T/out" 2>"$T/err"; rc=$?
is "TLS: --cacert trusts it" "$rc $(cmp -s "$T/out" "$EXPECT" && echo same)" "0 same"
done_testing
