# The two tools with threads of their own under ThreadSanitizer (make
# tsan and make check build them into $QP_TSAN_BIN): kcons with
# --commit-acks (the ack thread beside the consumer) and s3put with its
# upload thread and compressing threads, in the consumer side of the
# pipeline, over kmock and s3rver.  Any report
# fails the run.  The brokers, the producer and the readers are the
# tools under test ($QP_BIN): librdkafka is not built for TSan, and only
# our code's threads are in question here.
. "$QP_ROOT/tests/lib.sh"
if [ -z "${QP_TSAN_BIN:-}" ]; then
	skip "no TSan build (QP_TSAN_BIN): make tsan, or make check, builds one"
	done_testing
fi
TB=$QP_TSAN_BIN
export TSAN_OPTIONS="halt_on_error=0:exitcode=66:log_path=$T/tsan"
s3rver_start lake
kmock_start -t quotes:3
quote_lines 3000 | kprod -b "$BROKERS" -t quotes -k .symbol 2>"$T/err"
check "3000 records produced" test $? -eq 0

mkfifo "$T/acks.fifo"
# QP_STATS: the consume loop reads the ack thread's commit count too.
QP_STATS=0.01 "$TB/kcons" -b "$BROKERS" -t quotes -G tsan -J -e --commit-acks "$T/acks.fifo" \
    -X session.timeout.ms=6000 2>"$T/kcons.err" |
    "$TB/s3put" --endpoint "$S3_URL" --max-records 100 --max-age 0.2 --part-size 5M \
    's3://lake/{topic}/{partition}/{offset}.jsonl.gz' >"$T/acks.fifo" 2>"$T/s3put.err"
st=("${PIPESTATUS[@]}")
is "kcons --commit-acks | s3put under TSan: both exit 0" "${st[*]}" "0 0"
is "  ... every record stored" \
    "$(s3cat --endpoint "$S3_URL" s3://lake/quotes/ | sort | md5sum)" \
    "$(quote_lines 3000 | sort | md5sum)"
is "  ... and every offset committed: a rerun of the group reads nothing" \
    "$(kcons -b "$BROKERS" -t quotes -G tsan -e 2>/dev/null | wc -l)" 0

# A spool replay and stalls: the uploader busy while the main thread waits.
s3proxy_start "$S3_URL"
echo '[{"match": "^PUT ", "action": "500", "times": 3}]' >"$T/rules"
quote_lines 2000 | "$TB/s3put" --endpoint "$PROXY_URL" --max-records 50 --retries 4 \
    --retry-delay 0 --spool "$T/spool" 's3://lake/plain/' >"$T/acks" 2>"$T/err2"
is "s3put through retries under TSan: exit 0, 40 acks" "$? $(wc -l <"$T/acks")" "0 40"

# The compressing threads: many 1 MiB chunks in flight, parts handed
# while the next chunks compress, at ISA-L's level and libdeflate's.
awk 'BEGIN { srand(7); for (i = 0; i < 160000; i++) { s = ""; for (j = 0; j < 10; j++) s = s sprintf("%08x", int(rand() * 4294967296)); printf "{\"i\":%d,\"r\":\"%s\"}\n", i, s } }' >"$T/big.jsonl"	# 15 MB, 2:1: parts
for l in 1 6; do
	"$TB/s3put" --endpoint "$S3_URL" --threads 3 --gzip-level $l --part-size 5M \
	    --max-records 1000000 --max-bytes 1G "s3://lake/gz$l/" <"$T/big.jsonl" >"$T/acks" 2>"$T/err3"
	is "s3put --threads 3 --gzip-level $l under TSan: exit 0, read back whole" \
	    "$? $(s3cat --endpoint "$S3_URL" "s3://lake/gz$l/" | cmp - "$T/big.jsonl" && echo same)" "0 same"
done

reports=$(cat "$T"/tsan* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer')
is "no ThreadSanitizer report" "$reports" 0
[ "$reports" -eq 0 ] || cat "$T"/tsan* | head -60 | sed 's/^/# /'
done_testing
