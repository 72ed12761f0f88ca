# The consumer side end to end: kcons -J -G ... --commit-acks FIFO |
# s3put ... > FIFO, against kmock and s3rver, killed with SIGKILL at
# random moments and restarted: with count-cut batches and with age-cut
# ones, every record in S3 exactly once.
. "$QP_ROOT/tests/lib.sh"
s3rver_start lake
s3proxy_start "$S3_URL"
# Each PUT waits a little, so that kills land mid-upload too.
echo '[{"match": "^PUT ", "action": "delay:0.05", "times": 1000000}]' >"$T/rules"
kmock_start -t quotes:3 -t quotes2:3 -t quotes3:3
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
		wait_for 60 sh -c "[ \$(cat '$T/s3put.err' 2>/dev/null | grep -c 'stored s3://') -gt ${before:-0} ]"
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

# --- age-cut batches, exactly once through SIGKILLs (issue 13) -------------
# kcons -J -G … --commit-acks F | s3put --max-age 1 … > F, SIGKILLed at
# KILLS random moments (0 to 2 s after each run is given its partitions)
# while records arrive slowly (about 30 a second) and in bursts of 150;
# then run to the end.  A rerun cuts its batches elsewhere; the objects
# it overtakes are deleted once its own are stored.  Every record must be
# in S3 exactly once: read back with the AWS CLI, and by the inventory.
KILLS=${QP_E2E_KILLS:-10}
KCONS_ARGS=(-X session.timeout.ms=3000 -X heartbeat.interval.ms=300)
AGE_TPL='s3://lake/%s/dt=%%Y-%%m-%%d/'

# kill_loop TOPIC WHO: runs SIGKILLed (WHO: kcons or s3put), at least
# KILLS and until all is produced, then one to the end.  In each, the
# group's coordinator first refuses 8 commits (kcons retries them, 250
# ms apart): objects are acked but not yet committed when the kill
# comes, so that the next run reads them again and cuts them elsewhere.
kill_loop() {
	local topic=$1 who=$2 k=0 n0 kc sp tpl
	tpl=$(printf "$AGE_TPL" "$topic")
	while [ "$k" -lt "$KILLS" ] || kill -0 "$PROD" 2>/dev/null; do
		k=$((k + 1))
		n0=$(cat "$T/$topic.kcons.err" 2>/dev/null | grep -c 'assigned: ')
		consumer_start "$topic" "$topic" "sink-$topic" --max-age 1 --max-records 100000 "$tpl"
		eval "kc=\$KC_$topic sp=\$SP_$topic"
		wait_for 30 sh -c "[ \$(grep -c 'assigned: ' '$T/$topic.kcons.err') -gt $n0 ]"
		kmock_ctl error OffsetCommit 8 COORDINATOR_LOAD_IN_PROGRESS
		sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", (r % 250) / 100 }')"
		if [ "$who" = kcons ]; then kill -KILL "$kc"; else kill -KILL "$sp"; fi
		wait "$kc" "$sp" 2>/dev/null
		kmock_ctl clear OffsetCommit
	done
	KILLED=$k
	KCONS_ARGS+=(-e)
	consumer_start "$topic" "$topic" "sink-$topic" --max-age 1 --max-records 100000 "$tpl"
	eval "kc=\$KC_$topic sp=\$SP_$topic"
	wait "$kc"; k=$?; wait "$sp"
	is "$topic: the run to the end exits 0 (kcons, s3put)" "$k $?" "0 0"
	unset 'KCONS_ARGS[-1]'
}

# slowly TOPIC: NAGE records, about 30 a second and 150 at once every 300.
NAGE=1500
slowly() {
	head -n "$NAGE" "$T/q" |
	    awk '{ print; fflush(); if (NR % 300 < 150) system("sleep 0.033") }' |
	    kprod -b "$BROKERS" -t "$1" -k .symbol 2>>"$T/err" &
	PROD=$!
}

# exactly_once TOPIC WHAT: the checks, from S3 alone.
exactly_once() {
	local topic=$1 what=$2
	stored "$topic/" >"$T/got.$topic"
	is "$what: every record in S3, read back with the AWS CLI" \
	    "$(jq .seq "$T/got.$topic" | sort -un | wc -l)" "$NAGE"
	is "  ... each exactly once" "$(wc -l <"$T/got.$topic")" "$NAGE"
	s3cat --endpoint "$S3_URL" --list "s3://lake/$topic/" >"$T/inv.$topic" 2>/dev/null
	is "  ... s3cat --list: every partition contiguous (exit 0)" "$?" 0
	is "  ... 3 partitions from offset 0, $NAGE records in all" \
	    "$(jq -sc '[.[] | select(.type == "partition")] | [length, (map(.first_offset) | max), (map(.records) | add)]' "$T/inv.$topic")" \
	    "[3,0,$NAGE]"
	echo "# $what: $(s3_keys lake "$topic/" | wc -l) objects;" \
	    "$(grep -c 'deleted, its first offset' "$T/$topic.s3put.err") overtaken and deleted;" \
	    "$(grep -c 'but its ack is not written' "$T/$topic.s3put.err") stored but not acked"
}

slowly quotes2
kill_loop quotes2 kcons
exactly_once quotes2 "age-cut batches, $KILLED SIGKILLs of kcons"
slowly quotes3
kill_loop quotes3 s3put
exactly_once quotes3 "age-cut batches, $KILLED SIGKILLs of s3put"
done_testing
