# s3put through a fault-injecting proxy (tests/cli/s3proxy.py) in front
# of s3rver: connections reset mid-body, answers cut with and without
# Content-Length, trickled, stalled, or with a wrong ETag, for plain PUTs
# and for multipart uploads.  Whatever the fault, every run ends with the
# ack invariant checked against s3rver directly (tests/cli/ackcheck.py):
# every ack names an object S3 holds in full (bytes, ETag, MD5, records).
. "$QP_ROOT/tests/lib.sh"
s3rver_start lake other
s3proxy_start "$S3_URL"

quote_lines 4000 >"$T/small.jsonl"		# 4 gzip'd objects, one PUT each
# 12 MB of records: one object in 3 parts of 5M+ (--no-gzip).
awk 'BEGIN { for (i = 0; i < 120000; i++) printf "{\"seq\":%d,\"pad\":\"%s\"}\n", i, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz012345678" }' >"$T/big.jsonl"

# fault NAME RULES EXPECT-RC EXPECT-ACKS ARGS...: run s3put on $IN through
# the proxy with RULES, check its exit status, its acks and the invariant.
IN=$T/small.jsonl
fault() {
	local name=$1 rules=$2 want_rc=$3 want_acks=$4 rc; shift 4
	echo "$rules" >"$T/rules"
	: >"$T/proxy.log"
	s3put --endpoint "$PROXY_URL" --timeout 3 --retry-delay 0.05 "$@" <"$IN" \
	    >"$T/acks" 2>"$T/err"; rc=$?
	echo '[]' >"$T/rules"
	/usr/bin/python3 "$QP_ROOT/tests/cli/ackcheck.py" "$S3_URL" "$T/acks" "$IN" >"$T/check" 2>&1
	is "$name: exit $want_rc, $want_acks acks, every ack names what S3 holds" \
	    "$rc $(wc -l <"$T/acks") $(tail -1 "$T/check")" \
	    "$want_rc $want_acks acks $want_acks ok $want_acks"
	[ "$rc" = "$want_rc" ] || sed 's/^/#   err: /' "$T/err" | head -8
	grep -v '^acks ' "$T/check" | sed 's/^/#   /'
}
# stored PREFIX: the records S3 holds under lake/PREFIX, sorted.
stored() {
	local k
	for k in $(s3_keys lake "$1"); do
		aws3 s3 cp "s3://lake/$k" - | { [[ $k == *.gz ]] && gzip -dc || cat; }
	done | sort
}

# --- plain PUTs -------------------------------------------------------------
# The connection s3put reuses (after HEAD and a first PUT) is reset while
# the second object's body is on its way: curl must rewind and resend.
fault "PUT: connection reset mid-body (a reused connection)" \
    '[{"match": "^PUT /lake/reset/", "action": "forward", "times": 1},
      {"match": "^PUT /lake/reset/", "action": "reset", "times": 1}]' \
    0 4 --max-records 1000 's3://lake/reset/'
is "  ... all 4000 records stored once" "$(stored reset/ | md5sum)" "$(sort "$IN" | md5sum)"
fault "PUT: reset on every try" '[{"match": "^PUT /lake/reset2/", "action": "reset", "times": 100}]' \
    69 0 --retries 2 --max-records 1000 's3://lake/reset2/'
grep_file "  ... the message is the last attempt's, with the retries given up" \
    "s3://lake/reset2/.*(Send failure|Recv failure|Connection reset|Empty reply|Failure when receiving).*gave up after the retries" "$T/err"

fault "PUT: a wrong ETag in the answer once: asked again" \
    '[{"match": "^PUT /lake/etag1/", "action": "badetag", "times": 1}]' \
    0 4 --max-records 1000 's3://lake/etag1/'
fault "PUT: a wrong ETag in every answer: no ack, exit 76" \
    '[{"match": "^PUT /lake/etag2/", "action": "badetag", "times": 100}]' \
    76 0 --retries 1 --max-records 1000 's3://lake/etag2/'
grep_file "  ... saying which ETag and which MD5" \
    "ETag \"0123456789abcdef0123456789abcdef\" is not the MD5 of what was sent \(\"[0-9a-f]{32}\"\)" "$T/err"
fault "PUT: the answer stalls past --timeout, then comes" \
    '[{"match": "^PUT /lake/stall/", "action": "stall", "times": 1}]' \
    0 4 --max-records 1000 's3://lake/stall/'
fault "PUT: answers trickled, cut without Content-Length" \
    '[{"match": "^PUT /lake/trickle/", "action": "trickle", "times": 2},
      {"match": "^PUT /lake/trickle/", "action": "cutnolen", "times": 2}]' \
    0 4 --max-records 1000 's3://lake/trickle/'

# --- multipart ----------------------------------------------------------------
IN=$T/big.jsonl
MP=(--no-gzip --part-size 5M --max-bytes 1G --max-records 1000000)
fault "multipart: connection reset in UploadPart 2" \
    '[{"match": "^PUT .*/lake/mreset/.*partNumber=2&", "action": "reset", "times": 1}]' \
    0 1 "${MP[@]}" 's3://lake/mreset/'
fault "multipart: a wrong ETag for part 2 once: the part again" \
    '[{"match": "^PUT .*/lake/metag/.*partNumber=2&", "action": "badetag", "times": 1}]' \
    0 1 "${MP[@]}" 's3://lake/metag/'
fault "multipart: the Complete answer cut short (with Content-Length)" \
    '[{"match": "^POST /lake/mcut/.*uploadId=", "action": "cut", "times": 1}]' \
    0 1 "${MP[@]}" 's3://lake/mcut/'
fault "multipart: the Complete answer cut short without Content-Length" \
    '[{"match": "^POST /lake/mcutn/.*uploadId=", "action": "cutnolen", "times": 1}]' \
    0 1 "${MP[@]}" 's3://lake/mcutn/'
is "  ... the ack's ETag is the one the parts make, not empty" \
    "$(jq -r .etag "$T/acks")" "$(aws3 s3api head-object --bucket lake --key "$(jq -r .key "$T/acks")" --query ETag --output text)"
grep_file "  ... the object was looked at (HEAD) to confirm it" '"method": "HEAD", "path": "/lake/mcutn/' "$T/proxy.log"
fault "multipart: the Complete answer with a wrong ETag (the object is right)" \
    '[{"match": "^POST /lake/mbad/.*uploadId=", "action": "badetag", "times": 1}]' \
    0 1 "${MP[@]}" 's3://lake/mbad/'
fault "multipart: a wrong ETag from Complete and from HEAD: no ack, exit 76" \
    '[{"match": "^POST /lake/mbad2/.*uploadId=", "action": "badetag", "times": 1},
      {"match": "^HEAD /lake/mbad2/", "action": "badetag", "times": 5}]' \
    76 0 "${MP[@]}" 's3://lake/mbad2/'
fault "multipart: UploadPart 3 stalls past --timeout" \
    '[{"match": "^PUT .*/lake/mstall/.*partNumber=3&", "action": "stall", "times": 1}]' \
    0 1 "${MP[@]}" 's3://lake/mstall/'
fault "multipart: CreateMultipartUpload answer cut without Content-Length" \
    '[{"match": "^POST /lake/mcreate/.*uploads=", "action": "cutnolen", "times": 1}]' \
    0 1 "${MP[@]}" 's3://lake/mcreate/'
is "  ... every record once" "$(stored mcreate/ | md5sum)" "$(sort "$IN" | md5sum)"

# --- a key is exactly what is acked: it never leaves its prefix ------------
# libcurl (and servers) resolve "/../" and "/./": an envelope's topic or a
# template that makes such a segment would store the object elsewhere.
cat >"$T/env" <<'EOF'
{"topic":"../../other/x","partition":0,"offset":1,"value":{"a":1}}
{"topic":"quotes","partition":0,"offset":2,"value":{"a":2}}
{"topic":"..","partition":0,"offset":3,"value":{"a":3}}
{"topic":"a/b","partition":0,"offset":4,"value":{"a":4}}
EOF
s3put --endpoint "$S3_URL" 's3://lake/env/' <"$T/env" >"$T/acks" 2>"$T/err"; rc=$?
is "envelopes whose topic is not a Kafka topic name: refused (exit 65), the good one stored" \
    "$rc $(jq -r .key "$T/acks" | sed 's/+.*//') $(s3_keys other '' | wc -l) $(s3_keys lake '' | grep -c '^env/')" \
    "65 env/quotes 0 1"
is "  ... each refused line named" \
    "$(grep -oE '<stdin>:[0-9]: the topic is not a Kafka topic name' "$T/err" | cut -d: -f2 | tr '\n' ' ')" "1 3 4 "
/usr/bin/python3 "$QP_ROOT/tests/cli/ackcheck.py" "$S3_URL" "$T/acks" >/dev/null
is "  ... the ack names the object S3 holds" "$?" 0
for t in 's3://lake/a/../b/' 's3://lake/./x/{offset}' 's3://lake/x/..' 's3://lake/../{topic}/'; do
	s3put --endpoint "$S3_URL" "$t" </dev/null >/dev/null 2>"$T/err"; rc=$?
	is "template $t: exit 64, said" "$rc $(grep -c "a '.' or '..' path segment" "$T/err")" "64 1"
done
# Dots that are not a whole segment are kept as they are.
echo '{"a":1}' | s3put --endpoint "$S3_URL" 's3://lake/d..d/.x./' >"$T/acks" 2>"$T/err"; rc=$?
is "'d..d/.x./' has no dot segment: stored under exactly that prefix" \
    "$rc $(jq -r .key "$T/acks" | cut -d/ -f1-2) $(s3_keys lake d..d/ | cut -d/ -f1-2)" "0 d..d/.x. d..d/.x."
done_testing
