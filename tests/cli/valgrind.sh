# quote-xform, quote-window, cnn-fetch, s3put and s3cat under valgrind (memcheck): no
# invalid access, no use of uninitialised memory, no leak, on the paths the
# other tests take.  Valgrind needs the plain build (not ASan): QP_PLAIN_BIN,
# which `make check` sets to build/bin.
. "$QP_ROOT/tests/lib.sh"
F=$QP_ROOT/tests/fixtures
PB=${QP_PLAIN_BIN:-}
if [ -z "$PB" ] || ! command -v valgrind >/dev/null; then
	skip "no plain build (QP_PLAIN_BIN) or no valgrind"; done_testing
fi
# Leaks that count: definitely and indirectly lost.  libcurl and OpenSSL
# keep some global state reachable at exit by design.
VG=(valgrind -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)

# vg NAME WANT_STATUS TOOL ARGS...: stdin from $IN.
IN=/dev/null
vg() {
	local name=$1 want=$2 tool=$3 rc; shift 3
	"${VG[@]}" --log-file="$T/vg.log" "$PB/$tool" "$@" <"$IN" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ] && ! [ -s "$T/vg.log" ]; then ok "valgrind: $tool $name (exit $rc)"
	else not_ok "valgrind: $tool $name: exit $rc, want $want"; head -30 "$T/vg.log" | sed 's/^/#   /'; fi
}

IN=$F/quotes.jsonl
vg "hopping bars, top movers, alerts (libjq), late records" 0 quote-window --size 1h --slide 30m \
    --top 2 --alert '.pct_change > 0' --alert 'error("x")' --late "$T/late"
vg "--state with --emit and alerts: a checkpoint written" 0 quote-window --state "$T/vg.state" \
    --emit every=1m --alert '.pct_change > 0'
IN=/dev/null
vg "--state read back, --drain" 0 quote-window --state "$T/vg.state" --emit every=1m \
    --alert '.pct_change > 0' --drain
IN=$F/quotes.jsonl
vg "the default cleaning" 0 quote-xform
cmp -s "$T/out" "$F/quotes.clean.jsonl" && ok "  ... same output as without valgrind" || not_ok "  ... output differs"
printf '{"a":1,"b":[1,2,3]}\n{"a":"x","b":[]}\nnot json\n{"a":3,"b":[4]}\n' >"$T/mixed"
IN=$T/mixed
vg "several outputs, runtime errors and bad lines mid-stream" 65 quote-xform -e '.b[], .a + 1'
vg "--arg, --argjson, objects built" 0 quote-xform --on-error=skip -e '{a, s: $s, j: $j}' --arg s hi --argjson j '{"x":[1]}'
vg "a compile error" 64 quote-xform -e '.a |||'
vg "halt_error" 5 quote-xform -e 'if .a == 3 then halt_error else . end'
vg "--on-error=fail" 65 quote-xform --on-error=fail -e '.a + 1'
vg "-s, -S (a bad line among them)" 65 quote-xform -s -S 'map(objects)'
vg "-n with inputs, -r" 65 quote-xform -n -r '[inputs | .b?] | tostring'
vg "input without -n, past the end" 65 quote-xform '[., input]'
vg "a file as the program: the one-line hint" 64 quote-xform "$F/quotes.jsonl"
IN=$F/quotes.jsonl
vg "--clean FILE" 0 quote-xform --clean "$F/quotes.jsonl"
IN=$T/mixed
IN=/dev/null

REQ=$T/requests.jsonl
cnnserver_start http "$REQ" "$F/quotes.jsonl"
URL=http://127.0.0.1:$(cat "$T/http.port")
for c in "ok 0" "gzip 0" "deflate 0" "redirect 0" "notfound 76" "ratelimit 0" \
    "flaky 0" "down 69" "stallonce 0" "truncated 69" "cutjson 76" "html 76" \
    "object 76" "notquotes 76"; do
	set -- $c
	vg "$1" "$2" cnn-fetch --base-url "$URL/$1" --date 2023-05-12 --retry-delay 0.05 \
	    --retries 2 --timeout 1
done
vg "-H, --regions, --max-size" 76 cnn-fetch --base-url "$URL/ok" -H 'X-A: 1' -H 'Origin:' --regions Europe --max-size 100
vg "bad usage" 64 cnn-fetch --date 2023-02-30

# --every, stopped by SIGTERM after a change was printed.
: >"$REQ"
"${VG[@]}" --log-file="$T/vg.log" "$PB/cnn-fetch" --base-url "$URL/poll" --date 2023-05-12 --every 0.3 >"$T/out" 2>"$T/err" & p=$!
wait_for 30 sh -c "[ \$(wc -l <'$REQ') -ge 4 ]"
kill -TERM "$p"; wait "$p"; rc=$?
if [ "$rc" -eq 0 ] && ! [ -s "$T/vg.log" ] && [ "$(wc -l <"$T/out")" -eq 4 ]; then
	ok "valgrind: cnn-fetch --every, conditional polls, SIGTERM (exit 0, 4 quotes)"
else not_ok "valgrind: cnn-fetch --every: exit $rc, $(wc -l <"$T/out") lines"; head -30 "$T/vg.log" | sed 's/^/#   /'; fi

# s3put and s3cat against s3rver: a PUT, a streamed multipart upload with
# the upload thread, a failing object, and reading them back.
s3rver_start lake
IN=$F/quotes.jsonl
vg "records, gzip, one PUT" 0 s3put --endpoint "$S3_URL" --time-field .last_updated 's3://lake/vg/dt=%Y-%m-%d/'
awk 'BEGIN { for (i = 0; i < 60000; i++) printf "{\"i\":%d,\"pad\":\"%0100d\"}\n", i, i }' >"$T/big"
IN=$T/big
vg "a multipart upload (no gzip, 5M parts)" 0 s3put --endpoint "$S3_URL" --no-gzip --part-size 5M 's3://lake/vgbig/'
vg "an unknown bucket" 69 s3put --endpoint "$S3_URL" 's3://nosuch/x/'
IN=/dev/null
vg "reading back (list, GET, gunzip)" 0 s3cat --endpoint "$S3_URL" s3://lake/vg/ s3://lake/vgbig/
is "  ... every record back" "$(wc -l <"$T/out")" "$(( $(wc -l <"$F/quotes.jsonl") + 60000 ))"
done_testing
