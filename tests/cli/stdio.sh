# Standard output closed (`>&-`) and full (`>/dev/full`), for every tool
# (issue 10, item 6): a tool whose stdout carries data says so in one line
# and exits 74 (EX_IOERR), as cat or jq would fail; a library never gets
# descriptor 1 (libcurl's socketpair took it, and s3put wrote its acks
# there and exited 0).  What was accepted is still not lost: kprod's
# messages are in Kafka, s3put's object is in S3 (unacked, so kcons
# commits nothing for it and a rerun stores it again).  A tool whose
# stdout carries nothing behaves as usual.  Stdin closed reads as closed.
. "$QP_ROOT/tests/lib.sh"
F=$QP_ROOT/tests/fixtures
s3rver_start lake
kmock_start -t io:1 -t io2:1
cnnserver_start http "$T/cnn.log" "$F/quotes.jsonl"
CNN=http://127.0.0.1:$(cat "$T/http.port")
quote_lines 5 >"$T/in"
stored() { for k in $(s3_keys lake "$1"); do aws3 s3 cp "s3://lake/$k" - | gzip -dc; done; }

# out_fails NAME TOOL ARGS...: TOOL with stdout closed, then full; each
# must exit 74 with one line on stderr naming the write error.  Input is
# $T/in on stdin; at most 60 s each.
out_fails() {
	local name=$1 how rc; shift
	for how in closed full; do
		if [ $how = closed ]; then
			timeout 60 "$@" <"$T/in" >&- 2>"$T/err"; rc=$?
		else
			timeout 60 "$@" <"$T/in" >/dev/full 2>"$T/err"; rc=$?
		fi
		is "$name, stdout $how: exit 74 with one line that says why" \
		    "$rc $(wc -l <"$T/err") $(grep -cE "^$1: .*(Bad file descriptor|No space left on device)" "$T/err")" \
		    "74 1 1"
		[ "$(wc -l <"$T/err")" -eq 1 ] || sed 's/^/#   /' "$T/err" | head -5
	done
}

out_fails "cnn-fetch" cnn-fetch --base-url "$CNN/ok" --date 2023-05-12
out_fails "quote-xform" quote-xform
quote-xform <"$T/in" >/dev/full 2>&-; rc=$?
is "  ... stdout full and stderr closed: still exit 74" "$rc" 74
out_fails "athena-ddl" athena-ddl --location s3://lake/q/ --table q
out_fails "kmock (its first line is the address)" kmock
out_fails "kprod --report" kprod -b "$BROKERS" -t io --report
is "  ... every message still delivered (2 runs of 5)" \
    "$(timeout 30 kcons -b "$BROKERS" -t io -e 2>/dev/null | jq -c .seq | sort -n | uniq -c | awk '{ print $1 }' | sort -u)" 2
kprod -b "$BROKERS" -t io2 <"$T/in" >&- 2>"$T/err"; rc=$?
is "kprod without --report, stdout closed: its stdout carries nothing, exit 0" \
    "$rc $(wc -c <"$T/err") $(timeout 30 kcons -b "$BROKERS" -t io2 -e 2>/dev/null | wc -l)" "0 0 5"
out_fails "kcons -e" kcons -b "$BROKERS" -t io -e
out_fails "kmeta" kmeta -b "$BROKERS" -t io

# s3put: the object is stored, but its ack cannot be written.
out_fails "s3put" s3put --endpoint "$S3_URL" s3://lake/acks/
is "  ... S3 still holds what it stored, unacked (both runs, in full)" \
    "$(stored acks/ | jq -c .seq | sort -n | uniq -c | awk '{ print $1 }' | sort -u) $(stored acks/ | wc -l)" "2 10"
out_fails "s3cat" s3cat --endpoint "$S3_URL" s3://lake/acks/

# Stdin closed: a read error, as cat says, not an empty input and not a
# library's descriptor read as data.
for t in quote-xform "kprod -b $BROKERS -t io2" "s3put --endpoint $S3_URL s3://lake/stdin/" \
    "athena-ddl --location s3://lake/q/ --table q"; do
	timeout 60 $t <&- >"$T/out" 2>"$T/err"; rc=$?
	is "${t%% *}, stdin closed: exit 74, one line, nothing out" \
	    "$rc $(wc -l <"$T/err") $(grep -c 'Bad file descriptor' "$T/err") $(wc -c <"$T/out")" "74 1 1 0"
done

# lambda-bootstrap's stdout carries no data (the handler's is a pipe): it
# runs as usual, the response posted, the exit when the API goes (69).
printf '#!/bin/sh\ncat\n' >"$T/echo"; chmod +x "$T/echo"
for how in closed full; do
	printf '%s\n' '{"event":{"n":1}}' >"$T/events"
	rm -f "$T/api.port"; : >"$T/api.log"
	/usr/bin/python3 "$QP_ROOT/tests/cli/lambdaapi.py" --port-file "$T/api.port" \
	    --log "$T/api.log" --events "$T/events" >/dev/null 2>&1 &
	PIDS+=("$!")
	wait_for 10 test -s "$T/api.port"
	if [ $how = closed ]; then
		AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$T/api.port") timeout 60 lambda-bootstrap "$T/echo" >&- 2>"$T/err"; rc=$?
	else
		AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$T/api.port") timeout 60 lambda-bootstrap "$T/echo" >/dev/full 2>"$T/err"; rc=$?
	fi
	is "lambda-bootstrap, stdout $how: the response posted, exit 69 when the API goes" \
	    "$rc $(jq -c 'select(.kind == "response") | .body | fromjson' "$T/api.log")" '69 {"n":1}'
done
done_testing
