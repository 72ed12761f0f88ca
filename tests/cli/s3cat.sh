# s3cat against s3rver: what s3put stored comes back byte for byte, over
# many pages of listing, resumed after a cut transfer, signed right.
. "$QP_ROOT/tests/lib.sh"
s3rver_start lake
s3proxy_start "$S3_URL"

quote_lines 3000 >"$T/q"
s3put --endpoint "$S3_URL" --max-records 400 's3://lake/rt/' <"$T/q" >/dev/null 2>"$T/err"
s3cat --endpoint "$S3_URL" s3://lake/rt/ >"$T/out" 2>"$T/err"; rc=$?
is "s3put then s3cat: exit 0, every record back in order, byte for byte" \
    "$rc $(cmp -s "$T/out" "$T/q" && echo same)" "0 same"
s3put --endpoint "$S3_URL" --no-gzip --max-records 1000 's3://lake/mixed/a/' <"$T/q" >/dev/null 2>&1
printf '{"no":"newline"}' >"$T/nonl"; aws3 s3 cp "$T/nonl" s3://lake/mixed/b/x.json >/dev/null
s3cat --endpoint "$S3_URL" s3://lake/mixed/ >"$T/out" 2>"$T/err"; rc=$?
is "plain objects too, and a last line without its newline gets one" \
    "$rc $(tail -1 "$T/out") $(wc -l <"$T/out")" '0 {"no":"newline"} 3001'
s3cat --endpoint "$S3_URL" s3://lake/rt/ s3://lake/mixed/b/ >"$T/out" 2>"$T/err"; rc=$?
is "several prefixes, one stream" "$rc $(wc -l <"$T/out")" "0 3001"
s3cat --endpoint "$S3_URL" --raw s3://lake/rt/ | gzip -dc | cmp -s - "$T/q"
is "--raw: the objects as stored (gzip)" "${PIPESTATUS[0]} $?" "0 0"

# More than one page of ListObjectsV2 (1000 keys a page).
quote_lines 1100 | s3put --endpoint "$S3_URL" --max-records 1 --no-gzip 's3://lake/many/' >/dev/null 2>&1
s3cat --endpoint "$S3_URL" s3://lake/many/ >"$T/out" 2>"$T/err"; rc=$?
is "1100 objects: listed over two pages, all read" "$rc $(sort "$T/out" | md5sum)" "0 $(quote_lines 1100 | sort | md5sum)"

# A transfer cut in the middle is resumed with Range, not repeated.
big=$(s3_keys lake rt/ | head -1)
echo '[{"match": "^GET /lake/rt/", "action": "cut", "times": 1}]' >"$T/rules"
: >"$T/proxy.log"
s3cat --endpoint "$PROXY_URL" s3://lake/rt/ >"$T/out" 2>"$T/err"; rc=$?
is "a GET cut halfway: resumed, every record once" "$rc $(cmp -s "$T/out" "$T/q" && echo same)" "0 same"
is "  ... the retry asked for the rest (Range: bytes=N-)" \
    "$(jq -r 'select(.headers.range != null) | .headers.range' "$T/proxy.log" | grep -cE '^bytes=[1-9][0-9]*-$')" 1
echo '[]' >"$T/rules"
/usr/bin/python3 "$QP_ROOT/tests/cli/sigcheck.py" "$T/proxy.log" S3RVER >"$T/sig"; rc=$?
is "botocore agrees with s3cat's signatures: list, GET, GET with Range" \
    "$rc $(grep -oE '^GET[^:]*' "$T/sig" | sort -u | tr '\n' ',')" "0 GET,GET (Range),GET ?list-type,"

# --- faults in the answers (issue 10) ---------------------------------------
# A body whose first byte comes alone is still recognised as gzip.
echo '[{"match": "^GET /lake/rt/", "action": "trickle", "times": 100}]' >"$T/rules"
s3cat --endpoint "$PROXY_URL" s3://lake/rt/ >"$T/out" 2>"$T/err"; rc=$?
is "every GET's first byte alone: still gunzipped, byte for byte" "$rc $(cmp -s "$T/out" "$T/q" && echo same)" "0 same"
# A 200 cut short without Content-Length: the listing, then an object.
echo '[{"match": "^GET /lake/\\?list-type", "action": "cutnolen", "times": 1}]' >"$T/rules"
s3cat --endpoint "$PROXY_URL" s3://lake/rt/ >"$T/out" 2>"$T/err"; rc=$?
is "a listing cut short without Content-Length: asked again, every record" \
    "$rc $(cmp -s "$T/out" "$T/q" && echo same)" "0 same"
grep_file "  ... and said why" "listing|cut short" "$T/err"
echo '[{"match": "^GET /lake/mixed/a/", "action": "cutnolen", "times": 2}]' >"$T/rules"
s3cat --endpoint "$PROXY_URL" s3://lake/mixed/a/ >"$T/out" 2>"$T/err"; rc=$?
is "plain objects cut short without Content-Length: resumed, every record once" \
    "$rc $(cmp -s "$T/out" "$T/q" && echo same)" "0 same"
echo '[{"match": "^GET /lake/mixed/a/", "action": "cutnolen", "times": 100}]' >"$T/rules"
s3cat --endpoint "$PROXY_URL" --retries 1 s3://lake/mixed/a/ >"$T/out" 2>"$T/err"; rc=$?
is "  ... cut every time: exit 69, not 0" "$rc" 69
grep_file "  ... saying how much came" "stopped after [0-9]+ of [0-9]+ bytes" "$T/err"
echo '[]' >"$T/rules"
# Keys that are long once XML-escaped, and the keys after them.
amp=$(printf '&%.0s' $(seq 230))
for k in "!a" "$amp" "zz"; do
	echo "{\"k\":\"${k:0:3}\"}" >"$T/one"
	aws3 s3 cp "$T/one" "s3://lake/amp/$k" >/dev/null
done
s3cat --endpoint "$S3_URL" s3://lake/amp/ >"$T/out" 2>"$T/err"; rc=$?
is "a key of 230 '&' (1150 bytes escaped): it and the keys after it are read" \
    "$rc $(jq -r .k "$T/out" | tr '\n' ' ')" "0 !a &&& zz "
# SIGTERM and SIGINT while a request waits: the run stops at once.
for sig in TERM INT; do
	echo '[{"match": "^GET /lake/rt/", "action": "stall", "times": 1}]' >"$T/rules"
	s3cat --endpoint "$PROXY_URL" --timeout 30 s3://lake/rt/ >"$T/out" 2>"$T/err" & p=$!
	wait_for 10 grep -q '"fault": "stall"' "$T/proxy.log"
	signal_wait "$p" "$sig"
	is "SIG$sig during a stalled GET: exit 75 within 2 s, said (${SIG_MS} ms)" \
	    "$SIG_RC $([ "$SIG_MS" -lt 2000 ] && echo fast) $(grep -c 'stopped by a signal' "$T/err")" "75 fast 1"
	: >"$T/proxy.log"
done
echo '[]' >"$T/rules"

# A server that accepts and never answers: SIGINT ends the wait at once.
mute_start
signal_after 1 INT s3cat --endpoint "$MUTE_URL" s3://lake/rt/ >"$T/out" 2>"$T/err"
is "SIGINT 1 s into a request a server never answers: exit 75 within 2 s, said (${SIG_MS} ms)" \
    "$SIG_RC $([ "$SIG_MS" -lt 2000 ] && echo fast) $(grep -c 'stopped by a signal' "$T/err")" "75 fast 1"

kmock_start -t back:2
s3cat --endpoint "$S3_URL" s3://lake/rt/ | kprod -b "$BROKERS" -t back 2>"$T/err"; rc=$?
is "a backfill: s3cat | kprod puts all 3000 back into Kafka" \
    "$rc $(kcons -b "$BROKERS" -t back -e 2>/dev/null | wc -l)" "0 3000"

s3cat --endpoint "$S3_URL" s3://lake/none/ >"$T/out" 2>"$T/err"; rc=$?
is "nothing under the prefix: exit 66, said" "$rc $(cat "$T/err")" "66 s3cat: s3://lake/none/: no objects"
s3cat --endpoint "$S3_URL" s3://nosuch/x >/dev/null 2>"$T/err"; rc=$?
is "an unknown bucket: exit 69" "$rc $(cat "$T/err")" "69 s3cat: s3://nosuch: no such bucket"
echo 'not gzip at all' | gzip | head -c 20 >"$T/bad.gz"; aws3 s3 cp "$T/bad.gz" s3://lake/bad/x.gz >/dev/null
s3cat --endpoint "$S3_URL" s3://lake/bad/ >/dev/null 2>"$T/err"; rc=$?
is "a broken gzip object: exit 65 naming it" "$rc $(grep -c 's3://lake/bad/x.gz: not valid gzip' "$T/err")" "65 1"
for a in lake/x s3:// s3:///x; do
	s3cat "$a" >/dev/null 2>&1; rc=$?
	is "bad argument '$a': exit 64" "$rc" 64
done
# One rule for a bucket name in s3put and s3cat: checked, not connected to.
for t in s3cat s3put; do
	timeout 10 $t --endpoint "$S3_URL" s3://A_B/x/ </dev/null >/dev/null 2>"$T/err"; rc=$?
	is "$t s3://A_B/x/: exit 64, the same one-line reason" "$rc $(cat "$T/err")" \
	    "64 $t: s3://A_B/x/: 'A_B' is not a bucket name (3 to 63 lower-case letters, digits, '.' and '-')"
done
s3cat --endpoint "$S3_URL" s3://lake/rt/ 2>"$T/err" | head -1 >/dev/null
is "s3cat | head -1: exit 0 (its reader went away: quiet), no hang" \
    "${PIPESTATUS[0]} $(wc -c <"$T/err")" "0 0"

# --- the inventory: s3cat --list ------------------------------------------
awk 'BEGIN { for (i = 0; i < 10; i++) for (p = 0; p < 2; p++)
	printf "{\"topic\":\"quotes\",\"partition\":%d,\"offset\":%d,\"timestamp\":1683926186000,\"value\":{\"p\":%d,\"i\":%d}}\n", p, 100 + i, p, i }' >"$T/env"
s3put --endpoint "$S3_URL" --max-records 4 's3://lake/inv/dt=%Y-%m-%d/' <"$T/env" >/dev/null 2>&1
# A 6 MB object of one partition goes by multipart upload, whose last
# offset is not known when it starts: its lines are counted.
awk 'BEGIN { for (i = 0; i < 60000; i++) printf "{\"topic\":\"big\",\"partition\":0,\"offset\":%d,\"timestamp\":1683926186000,\"value\":\"%0100d\"}\n", i, i }' |
    s3put --endpoint "$S3_URL" --no-gzip --part-size 5M 's3://lake/inv/dt=%Y-%m-%d/' >"$T/acks" 2>&1
printf '{"x":1}\n' >"$T/x"; aws3 s3 cp "$T/x" s3://lake/inv/notes.jsonl >/dev/null
s3cat --endpoint "$S3_URL" --list s3://lake/inv/ >"$T/inv" 2>"$T/err"; rc=$?
is "--list: exit 0, each partition contiguous, with its objects, records and offsets" \
    "$rc $(jq -c 'select(.type=="partition") | [.topic, .partition, .objects, .records, .first_offset, .last_offset, .contiguous]' "$T/inv" | tr '\n' ' ')" \
    '0 ["big",0,1,60000,0,59999,true] ["quotes",0,3,10,100,109,true] ["quotes",1,3,10,100,109,true] '
is "  ... offsets from s3put's metadata; the multipart object's counted" \
    "$(jq -r 'select(.type=="object") | .from' "$T/inv" | sort | uniq -c | tr -s ' ' | tr '\n' ';')" \
    " 1 counted; 6 metadata;"
is "  ... the metadata, as the AWS CLI sees it" \
    "$(aws3 s3api head-object --bucket lake --key inv/dt=2023-05-12/quotes+1+00000000000000000104.jsonl.gz --query Metadata --output json | jq -c .)" \
    '{"first-offset":"104","last-offset":"107","records":"4"}'
grep_file "  ... and an object of no envelopes is left out, said" "1 objects not of Kafka envelopes" "$T/err"
# A gap (an object deleted) and an overlap (a longer object stored again
# under an earlier key, as a restart cutting elsewhere would).
aws3 s3 rm s3://lake/inv/dt=2023-05-12/quotes+1+00000000000000000104.jsonl.gz >/dev/null
jq -c 'select(.partition == 0 and .offset <= 105) | .value' "$T/env" | gzip >"$T/six.gz"
aws3 s3 cp "$T/six.gz" s3://lake/inv/dt=2023-05-12/quotes+0+00000000000000000100.jsonl.gz \
    --metadata first-offset=100,last-offset=105,records=6 >/dev/null
s3cat --endpoint "$S3_URL" --list s3://lake/inv/dt=2023-05-12/quotes >"$T/inv" 2>"$T/err"; rc=$?
is "a gap and an overlap: exit 1; which partition and which offsets" \
    "$rc $(jq -c 'select(.type=="partition") | [.partition, .contiguous, .gaps, .overlaps]' "$T/inv" | tr '\n' ' ')" \
    '1 [0,false,[],[[104,105]]] [1,false,[[104,107]],[]] '
grep_file "  ... and said on stderr" "quotes partition 1: 1 gap and 0 overlaps in its offsets" "$T/err"
s3cat --list --raw s3://lake/inv/ >/dev/null 2>"$T/err"; rc=$?
is "--list with --raw: a usage error" "$rc" 64
s3cat --endpoint "$S3_URL" --list s3://lake/rt/ >"$T/inv" 2>"$T/err"; rc=$?
is "--list where no object is of envelopes: exit 66 and nothing printed, not 'contiguous'" \
    "$rc $(wc -c <"$T/inv") $(grep -c 'no objects of Kafka envelopes' "$T/err")" "66 0 1"
jq -c '.value' "$T/env" | head -6 | gzip | head -c 30 >"$T/cut.gz"
aws3 s3 cp "$T/cut.gz" s3://lake/cut/quotes+0+00000000000000000000.jsonl.gz >/dev/null
s3cat --endpoint "$S3_URL" --list s3://lake/cut/ >/dev/null 2>"$T/err"; rc=$?
is "--list: an object without metadata whose gzip stops short: exit 65, named" \
    "$rc $(grep -c 'cut/quotes+0+00000000000000000000.jsonl.gz: not valid gzip' "$T/err")" "65 1"
done_testing
