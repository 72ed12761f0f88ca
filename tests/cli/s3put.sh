# s3put against s3rver (a real S3 API server, from npm) on 127.0.0.1,
# read back with the AWS CLI; every request s3put sends is re-signed by
# botocore (s3rver does not check signatures); faults come from a proxy.
. "$QP_ROOT/tests/lib.sh"
F=$QP_ROOT/tests/fixtures
s3rver_start lake other
s3proxy_start "$S3_URL"

# gzcat_objects PREFIX: every object under s3://lake/PREFIX, in key order,
# decompressed and concatenated.
gzcat_objects() {
	local k
	for k in $(s3_keys lake "$1"); do
		aws3 s3 cp "s3://lake/$k" - | { case $k in *.gz) gzip -dc ;; *) cat ;; esac; }
	done
}

# --- records, keys from the record's time, acks ---------------------------
quote_lines 1000 | awk '{ sub(/}$/, ",\"last_updated\":\"2023-05-1" (NR <= 600 ? 2 : 3) "T21:16:26+00:00\"}"); print }' >"$T/q.jsonl"
s3put --endpoint "$S3_URL" --time-field .last_updated --max-records 250 \
    's3://lake/quotes/dt=%Y-%m-%d/' <"$T/q.jsonl" >"$T/acks" 2>"$T/err"; rc=$?
is "records: exit 0, one ack per object (600 + 400 records by 250)" "$rc $(wc -l <"$T/acks")" "0 5"
is "  ... keys under dt= from --time-field, named so runs cannot collide" \
    "$(s3_keys lake quotes/ | sed -E 's/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}-[0-9]{6}/NAME/' | uniq -c | tr -s ' ' | tr '\n' ';')" \
    " 3 quotes/dt=2023-05-12/NAME.jsonl.gz; 2 quotes/dt=2023-05-13/NAME.jsonl.gz;"
gzcat_objects quotes/dt=2023-05-12/ >"$T/got12"; gzcat_objects quotes/dt=2023-05-13/ >"$T/got13"
is "  ... the AWS CLI reads back every record once, byte for byte, in order" \
    "$(cat "$T/got12" "$T/got13" | cmp - "$T/q.jsonl" && echo same)" same
ok=0
while read -r a; do
	k=$(echo "$a" | jq -r .key)
	meta=$(aws3 s3api head-object --bucket lake --key "$k" --query '[ContentLength,ETag]' --output text)
	n=$(aws3 s3 cp "s3://lake/$k" - | gzip -dc | wc -l)
	[ "$(echo "$a" | jq -r '"\(.bytes)\t\(.etag)"')" = "$meta" ] && [ "$n" = "$(echo "$a" | jq .records)" ] &&
	    [ "$(echo "$a" | jq -r .bucket)" = lake ] && ok=$((ok + 1))
done <"$T/acks"
is "  ... each ack's key, bytes, ETag and record count match the object in S3" "$ok" 5
aws3 s3 cp "s3://lake/$(s3_keys lake quotes/ | head -1)" "$T/one.gz" >/dev/null
check "  ... objects are valid gzip (gzip -t), Content-Type application/gzip" \
    sh -c "gzip -t '$T/one.gz' && [ \"\$(/usr/bin/aws --endpoint-url $S3_URL s3api head-object --bucket lake --key '$(s3_keys lake quotes/ | head -1)' --query ContentType --output text)\" = application/gzip ]"

# --- Kafka envelopes: one partition per object, offsets in keys and acks --
awk 'BEGIN { for (i = 0; i < 10; i++) for (p = 0; p < 2; p++)
	printf "{\"topic\":\"quotes\",\"partition\":%d,\"offset\":%d,\"timestamp\":1683926186000,\"key\":\"K%d\",\"headers\":{},\"value\":{\"p\":%d,\"i\":%d,\"x\":1e300}}\n", p, 100 + i, i, p, i }' >"$T/env.jsonl"
s3put --endpoint "$S3_URL" --max-records 4 's3://lake/env/dt=%Y-%m-%d/' <"$T/env.jsonl" >"$T/acks" 2>"$T/err"; rc=$?
is "envelopes: exit 0, objects of 4, 4, 2 records per partition" \
    "$rc $(jq -c '[.partition, .first_offset, .last_offset, .records]' "$T/acks" | sort | tr '\n' ' ')" \
    "0 [0,100,103,4] [0,104,107,4] [0,108,109,2] [1,100,103,4] [1,104,107,4] [1,108,109,2] "
is "  ... keys {topic}+{partition}+{offset, 20 digits} under the Kafka timestamp's day" \
    "$(s3_keys lake env/ | head -2 | tr '\n' ' ')" \
    "env/dt=2023-05-12/quotes+0+00000000000000000100.jsonl.gz env/dt=2023-05-12/quotes+0+00000000000000000104.jsonl.gz "
is "  ... objects hold only the values, byte for byte (1e300 kept)" \
    "$(gzcat_objects env/dt=2023-05-12/quotes+1+ | md5sum)" \
    "$(jq -c 'select(.partition == 1) | .value' "$T/env.jsonl" | sed 's/1e+300/1e300/' | md5sum)"
is "  ... an ack names the topic and the offsets" \
    "$(head -1 "$T/acks" | jq -r 'keys_unsorted | join(",")')" \
    "bucket,key,records,bytes,etag,topic,partition,first_offset,last_offset"
# --dry-run: the same objects said, nothing stored, no AWS asked.
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY s3put --dry-run --max-records 4 \
    's3://lake/dry/dt=%Y-%m-%d/' <"$T/env.jsonl" >"$T/dry" 2>"$T/err"; rc=$?
is "--dry-run, no credentials: exit 0, one line per object, the real run's keys, offsets and counts" \
    "$rc $(jq -c '[.dry_run, (.key | sub("^dry/"; "")), .records, .partition, .first_offset, .last_offset]' "$T/dry" | sort | md5sum)" \
    "0 $(jq -c '[true, (.key | sub("^env/"; "")), .records, .partition, .first_offset, .last_offset]' "$T/acks" | sort | md5sum)"
is "  ... nothing in S3, and no etag: it is no ack" \
    "$(s3_keys lake dry/ | wc -l) $(jq -r 'has("etag")' "$T/dry" | sort -u)" "0 false"
s3put --dry-run --spool "$T/sp" s3://lake/dry/ </dev/null >/dev/null 2>"$T/err"; rc=$?
is "  ... with --spool: a usage error" "$rc $(grep -c 'no --spool' "$T/err")" "64 1"
s3put --endpoint "$S3_URL" --max-records 4 --no-gzip 's3://lake/tpl/{topic}/p{partition}/{offset}.json' \
    <"$T/env.jsonl" >"$T/acks" 2>"$T/err"; rc=$?
is "a full key template with {topic}, {partition}, {offset}; --no-gzip" \
    "$rc $(s3_keys lake tpl/ | head -1) $(aws3 s3 cp s3://lake/tpl/quotes/p0/00000000000000000100.json - | head -1)" \
    '0 tpl/quotes/p0/00000000000000000100.json {"p":0,"i":0,"x":1e300}'

# --- kprod | kcons -J | s3put: offsets from a real Kafka-protocol broker ---
kmock_start -t kq:3
quote_lines 300 | kprod -b "$BROKERS" -t kq -k .symbol 2>"$T/err"
kcons -b "$BROKERS" -t kq -J -e 2>>"$T/err" |
    s3put --endpoint "$S3_URL" --max-records 40 's3://lake/kafka/' >"$T/acks" 2>>"$T/err"; rc=$?
is "kcons -J | s3put: all 300 records stored, acks cover every offset once" \
    "$rc $(jq -s 'map(.records) | add' "$T/acks") $(jq -s '[group_by(.partition)[] | (map(.last_offset - .first_offset + 1) | add) ] | add' "$T/acks")" \
    "0 300 300"
is "  ... the stored records are the produced ones" \
    "$(gzcat_objects kafka/ | sort | md5sum)" "$(quote_lines 300 | sort | md5sum)"

# --- multipart, streamed ---------------------------------------------------
awk 'BEGIN { srand(7); for (i = 0; i < 160000; i++) { s = ""; for (j = 0; j < 10; j++) s = s sprintf("%08x", int(rand() * 4294967296)); printf "{\"i\":%d,\"r\":\"%s\"}\n", i, s } }' >"$T/big.jsonl"
: >"$T/proxy.log"
# Memory is measured on the plain build (ASan's shadow memory would count).
/usr/bin/time -f %M -o "$T/rss" "${QP_PLAIN_BIN:-$QP_BIN}/s3put" --endpoint "$PROXY_URL" --no-gzip --part-size 5M --max-records 1000000 \
    --max-bytes 1G 's3://lake/multi/' <"$T/big.jsonl" >"$T/acks" 2>"$T/err"; rc=$?
is "an object over --part-size goes up by multipart upload: 1 object, 4 parts of 5M+" \
    "$rc $(wc -l <"$T/acks") $(grep -c '"query": "partNumber=' "$T/proxy.log")" "0 1 4"
is "  ... the AWS CLI reads it back whole" "$(gzcat_objects multi/ | cmp - "$T/big.jsonl" && echo same)" same
is "  ... peak RSS within 2 x part size + 32 MiB ($(cat "$T/rss") KB for a $(($(wc -c <"$T/big.jsonl") / 1048576)) MB object)" \
    "$(( $(cat "$T/rss") < (2 * 5 + 32) * 1024 ))" 1

# --- compression: libdeflate in 1 MiB chunks, joined into one member ------
# 4 MB of quote lines: 4 chunks, joined into one object of one part.
quote_lines 80000 >"$T/q8.jsonl"	# 4.3 MB
for t in 1 3; do
	s3put --endpoint "$S3_URL" --threads $t --max-bytes 1G --max-records 1000000 \
	    "s3://lake/thr$t/" <"$T/q8.jsonl" >"$T/acks$t" 2>"$T/err"; echo $? >"$T/rc$t"
	aws3 s3 cp "s3://lake/$(jq -r .key "$T/acks$t")" "$T/thr$t.gz" >/dev/null
done
is "--threads 1 and 3: exit 0, the same object bytes (chunks cut by the data, not the threads)" \
    "$(cat "$T/rc1") $(cat "$T/rc3") $(cmp -s "$T/thr1.gz" "$T/thr3.gz" && echo same)" "0 0 same"
is "  ... one gzip member holding all $(wc -l <"$T/q8.jsonl") lines, nothing after it, gzip -t clean" \
    "$(/usr/bin/python3 -c '
import sys, zlib
d = open(sys.argv[1], "rb").read()
z = zlib.decompressobj(31)
out = z.decompress(d)
print(z.eof, len(z.unused_data), out == open(sys.argv[2], "rb").read())' "$T/thr3.gz" "$T/q8.jsonl") $(gzip -t "$T/thr3.gz" && echo clean)" \
    "True 0 True clean"
is "  ... stored smaller than gzip -6 makes it" \
    "$(( $(stat -c %s "$T/thr3.gz") < $(gzip -6 -c "$T/q8.jsonl" | wc -c) ))" 1
for l in 1 2 9; do
	s3put --dry-run --gzip-level $l --max-bytes 1G --max-records 1000000 \
	    "s3://lake/lvl/" <"$T/q8.jsonl" >"$T/lvl$l" 2>/dev/null
done
is "--gzip-level 1 (ISA-L) > 2 > 9 (libdeflate) in bytes; 2 smaller than gzip -1 makes" \
    "$(( $(jq .bytes "$T/lvl1") > $(jq .bytes "$T/lvl2") )) $(( $(jq .bytes "$T/lvl2") > $(jq .bytes "$T/lvl9") )) $(( $(jq .bytes "$T/lvl2") < $(gzip -1 -c "$T/q8.jsonl" | wc -c) ))" "1 1 1"
for a in 0 65 x 1.5; do
	s3put --threads "$a" s3://lake/t/ </dev/null >/dev/null 2>"$T/err$a"; echo $? >>"$T/rcs"
done
is "--threads 0, 65, x, 1.5: exit 64 each, one line naming --threads" \
    "$(tr '\n' ' ' <"$T/rcs")$(cat "$T"/err0 "$T"/err65 "$T"/errx "$T"/err1.5 | grep -c -- '--threads')" "64 64 64 64 4"
# A record far larger than a chunk, and records that straddle chunks.
awk 'BEGIN { s = sprintf("%3000000s", ""); gsub(/ /, "x", s); printf "{\"big\":\"%s\"}\n", s;
	for (i = 0; i < 30000; i++) printf "{\"i\":%d}\n", i }' >"$T/huge.jsonl"
s3put --endpoint "$S3_URL" --max-line 4M --threads 2 --max-bytes 1G --max-records 1000000 \
    's3://lake/huge/' <"$T/huge.jsonl" >"$T/acks" 2>"$T/err"; rc=$?
is "a 3 MB record and 30000 small ones: exit 0, read back byte for byte" \
    "$rc $(gzcat_objects huge/ | cmp - "$T/huge.jsonl" && echo same)" "0 same"

# A chunk that cannot be compressed (a malloc of 1 MB or more in a
# compressing thread fails, by an LD_PRELOAD shim): its object is not
# stored, and no later object of the partition is acked past it, so
# kcons --commit-acks cannot commit over the lost records.
cat >"$T/nomem.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
static int n;
void *malloc(size_t sz) {
	static void *(*real)(size_t);
	if (!real) real = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	if (sz >= 1000000 && syscall(SYS_gettid) != getpid() && __sync_add_and_fetch(&n, 1) == 1)
		return NULL;
	return real(sz);
}
EOF
gcc -shared -fPIC -o "$T/nomem.so" "$T/nomem.c" -ldl
awk 'BEGIN { v = sprintf("%300s", ""); gsub(/ /, "x", v); for (i = 0; i < 10000; i++)
	printf "{\"topic\":\"q\",\"partition\":0,\"offset\":%d,\"timestamp\":%d000,\"value\":{\"o\":%d,\"v\":\"%s\"}}\n", i, i < 5000 ? 1683926186 : 1684012586, i, v }' >"$T/gap.jsonl"
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" LD_PRELOAD="$T/nomem.so" \
    s3put --endpoint "$S3_URL" --threads 2 's3://lake/nomem/{topic}/%Y%m%d/' <"$T/gap.jsonl" >"$T/acks" 2>"$T/err"; rc=$?
is "a chunk out of memory mid-partition: exit 71, said, no ack (not the next day's object either)" \
    "$rc $(wc -l <"$T/acks") $(grep -c 'compressing [0-9]* bytes failed (out of memory): the object is not stored, nor any after it$' "$T/err")" "71 0 1"

# --- faults: 500, SlowDown, a dropped connection mid-part, a slow answer ---
cat >"$T/rules" <<'EOF'
[{"match": "^PUT /lake/faults/[^?]*$", "action": "500", "times": 2},
 {"match": "^POST .*uploads=", "action": "slowdown", "times": 1},
 {"match": "^PUT .*partNumber=2&", "action": "drop", "times": 1},
 {"match": "^PUT .*partNumber=3&", "action": "delay:6", "times": 1},
 {"match": "^POST .*uploadId=", "action": "500", "times": 1}]
EOF
: >"$T/proxy.log"
# 160000 records: a 12 MB object (3 parts) and a 4 MB one (a PUT).
s3put --endpoint "$PROXY_URL" --no-gzip --part-size 5M --timeout 4 \
    --max-records 120000 's3://lake/faults/' <"$T/big.jsonl" >"$T/acks" 2>"$T/err"; rc=$?
[ "$rc" -eq 0 ] || sed "s/^/#   /" "$T/err"
is "faults (500 x2, SlowDown, a drop mid-part, a stall past --timeout, a failed complete): exit 0" "$rc" 0
is "  ... every record stored exactly once" \
    "$(gzcat_objects faults/ | sort | cmp - <(sort "$T/big.jsonl") && echo once)" once
# The drop mid-part is retried by s3put, or by curl itself when the
# connection it reused dies before any answer (it rewinds the body).
is "  ... each fault was retried (as the log says)" \
    "$(grep -c 'retry 1 of 8' "$T/err" | sed 's/^[45]$/4-5/') $(grep -c 'retry 2 of 8' "$T/err") $(grep -c 'HTTP 503 SlowDown' "$T/err") $(grep -ciE 'timed? ?out' "$T/err")" "4-5 1 1 1"
is "  ... the dropped part sent again and stored" \
    "$(jq -r 'select(.query | startswith("partNumber=2&")) | "\(.fault) \(.status)"' "$T/proxy.log" | tr '\n' ,)" "drop null,null 200,"
echo '[]' >"$T/rules"

# --- stop signals: a wait ends at once, an upload begun is finished ------
# Before any input: the bucket check against a server that never answers.
mute_start
signal_after 1 INT s3put --endpoint "$MUTE_URL" 's3://lake/mute/' </dev/null >"$T/acks" 2>"$T/err"
is "SIGINT 1 s into the bucket check a server never answers: exit 75 within 2 s, said (${SIG_MS} ms)" \
    "$SIG_RC $([ "$SIG_MS" -lt 2000 ] && echo fast) $(grep -c 'stopped by a signal before any input' "$T/err")" "75 fast 1"
# An upload under way when SIGINT comes: its PUT stalls past --timeout,
# the retry stores it, and it is acked; the signal does not cut it short.
echo '[{"match": "^PUT /lake/stop/", "action": "stall", "times": 1}]' >"$T/rules"
: >"$T/proxy.log"
mkfifo "$T/stop.fifo"
s3put --endpoint "$PROXY_URL" --max-records 5 --timeout 3 --retries 1 --retry-delay 0 \
    's3://lake/stop/' <"$T/stop.fifo" >"$T/acks" 2>"$T/err" & p=$!
exec 8>"$T/stop.fifo"; quote_lines 5 >&8	# the input stays open
wait_for 10 grep -q '"fault": "stall"' "$T/proxy.log"
signal_wait "$p" INT; exec 8>&-
is "SIGINT during a stalled upload: it is retried and stored, exit 0 with its ack (${SIG_MS} ms)" \
    "$SIG_RC $([ "$SIG_MS" -ge 1000 ] && echo waited) $(jq -r .records "$T/acks") $(aws3 s3 cp "s3://lake/$(jq -r .key "$T/acks")" - | gzip -dc | wc -l)" \
    "0 waited 5 5"
echo '[]' >"$T/rules"

# --- every kind of request, re-signed by botocore --------------------------
: >"$T/proxy.log"
echo '[{"match": "^PUT .*partNumber=2&", "action": "500", "times": 9}]' >"$T/rules"
s3put --endpoint "$PROXY_URL" --no-gzip --part-size 5M --retries 1 --retry-delay 0 \
    --max-bytes 1G 's3://lake/abort/' <"$T/big.jsonl" >"$T/acks" 2>"$T/err"; rc=$?
is "a part that keeps failing: exit 69, no ack, the multipart upload aborted" \
    "$rc $(wc -l <"$T/acks") $(grep -c '"method": "DELETE"' "$T/proxy.log") $(s3_keys lake abort/ | wc -l)" "69 0 1 0"
echo '[]' >"$T/rules"
head -3 "$F/quotes.jsonl" | s3put --endpoint "$PROXY_URL" 's3://lake/sig/' >/dev/null 2>&1
quote_lines 10 | AWS_SESSION_TOKEN='tok/with+odd=chars' s3put --endpoint "$PROXY_URL" 's3://lake/sigtok/' >/dev/null 2>&1
grep -v x-amz-security-token "$T/proxy.log" >"$T/plain.log"; grep x-amz-security-token "$T/proxy.log" >"$T/tok.log"
/usr/bin/python3 "$QP_ROOT/tests/cli/sigcheck.py" "$T/plain.log" S3RVER >"$T/sig" 2>&1; rc=$?
: >"$T/proxy.log"
s3put --endpoint "$PROXY_URL" --no-gzip --part-size 5M 's3://lake/sig2/' <"$T/big.jsonl" >/dev/null 2>&1
/usr/bin/python3 "$QP_ROOT/tests/cli/sigcheck.py" "$T/proxy.log" S3RVER >>"$T/sig" 2>&1; rc2=$?
/usr/bin/python3 "$QP_ROOT/tests/cli/sigcheck.py" "$T/tok.log" S3RVER 'tok/with+odd=chars' >"$T/sigtok" 2>&1; rc3=$?
is "botocore's signer agrees with every request s3put sent: HEAD, PUT, create, part, complete, abort" \
    "$rc $rc2 $(grep -oE '^(HEAD|PUT|POST|DELETE)[^:]*' "$T/sig" | sort -u | tr '\n' ',')" \
    "0 0 DELETE ?uploadId,HEAD,POST ?uploadId,POST ?uploads,PUT,PUT ?partNumber,"
is "  ... also with a session token (x-amz-security-token signed)" "$rc3 $(tail -1 "$T/sigtok")" "0 ok"
sed 's/^/# /' "$T/sig"
done_testing
