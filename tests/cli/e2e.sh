# The consumer side end to end: kcons -J -G ... --commit-acks FIFO |
# s3put ... > FIFO, against kmock and s3rver, killed with SIGKILL at
# random moments and restarted.  Count-cut batches with {offset} keys:
# every record in S3 exactly once.  Age-cut batches: none missing.
. "$QP_ROOT/tests/lib.sh"
s3rver_start lake
s3proxy_start "$S3_URL"
# Each PUT waits a little, so that kills land mid-upload too.
echo '[{"match": "^PUT ", "action": "delay:0.05", "times": 1000000}]' >"$T/rules"
kmock_start -t quotes:3 -t quotes2:3
NREC=3000
awk -v n="$NREC" 'BEGIN { for (i = 0; i < n; i++)
	printf "{\"seq\":%d,\"symbol\":\"SYM-%03d\",\"current_price\":%d.%02d,\"last_updated\":\"2023-05-12T21:%02d:00+00:00\"}\n", i, i % 77, 1000 + i % 997, i % 100, i % 60 }' >"$T/q"
kprod -b "$BROKERS" -t quotes -k .symbol "$T/q" 2>"$T/err"
check "$NREC records produced" test $? -eq 0

# consumer TOPIC GROUP S3PUT_OPTS...: one run of the consumer side in the
# background; sets KC and SP to the two pids.
consumer() {
	local topic=$1 group=$2; shift 2
	rm -f "$T/acks.fifo"; mkfifo "$T/acks.fifo"
	kcons -b "$BROKERS" -t "$topic" -G "$group" -J -e --commit-acks "$T/acks.fifo" \
	    -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 2>>"$T/kcons.err" |
	    s3put -v --endpoint "$PROXY_URL" "$@" >"$T/acks.fifo" 2>>"$T/s3put.err" &
	SP=$!
}

# run_with_kills TOPIC GROUP KILLS S3PUT_OPTS...
run_with_kills() {
	local topic=$1 group=$2 kills=$3 k before; shift 3
	for k in $(seq "$kills"); do
		before=$(grep -c 'stored s3://' "$T/s3put.err" 2>/dev/null)
		consumer "$topic" "$group" "$@"
		# Once this run has stored something, kill it at a random moment.
		wait_for 60 sh -c "[ \$(grep -c 'stored s3://' '$T/s3put.err' 2>/dev/null || echo 0) -gt ${before:-0} ]"
		sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", (r % 100) / 100 }')"
		kill -KILL "$SP" $(pgrep -f "kcons -b $BROKERS -t $topic ") 2>/dev/null
		wait "$SP" 2>/dev/null
		echo "# kill $k: $(s3_keys lake "$topic/" | wc -l) objects so far"
	done
	consumer "$topic" "$group" "$@"
	wait "$SP"
}

stored() { for k in $(s3_keys lake "$1"); do aws3 s3 cp "s3://lake/$k" - | gzip -dc; done; }

# Count-cut batches: deterministic, so a rerun rewrites the same objects.
run_with_kills quotes sink 4 --max-records 100 --max-age 0 \
    's3://lake/{topic}/{partition}/{offset}.jsonl.gz'
stored quotes/ >"$T/got"
is "count-cut batches, 4 SIGKILLs: all $NREC records in S3" "$(jq .seq "$T/got" | sort -un | wc -l)" "$NREC"
is "  ... each exactly once" "$(wc -l <"$T/got")" "$NREC"
is "  ... every object starts at a multiple of 100: the same cuts on every run" \
    "$(s3_keys lake quotes/ | awk -F/ '{ sub(/\..*/, "", $3); if ($3 % 100) bad++ } END { print bad + 0 }')" 0
echo "# objects: $(s3_keys lake quotes/ | wc -l)"

# Age-cut batches: a rerun cuts differently, so objects may overlap.  The
# records arrive over ~10 s (100 every 0.3 s) while the kills happen.
awk '{ print; if (NR % 100 == 0) { fflush(); system("sleep 0.3") } }' "$T/q" |
    kprod -b "$BROKERS" -t quotes2 -k .symbol 2>>"$T/err" &
PROD=$!
run_with_kills quotes2 sink2 3 --max-records 1000000 --max-age 0.3 's3://lake/quotes2/'
wait "$PROD"
consumer quotes2 sink2 --max-records 1000000 --max-age 0.3 's3://lake/quotes2/'
wait "$SP"
stored quotes2/ >"$T/got2"
is "age-cut batches, 3 SIGKILLs: no record missing (at least once)" \
    "$(jq .seq "$T/got2" | sort -un | wc -l)" "$NREC"
echo "# age-cut: $(wc -l <"$T/got2") records stored for $NREC ($(( $(wc -l <"$T/got2") - NREC )) duplicates)"
done_testing
