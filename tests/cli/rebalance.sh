# Consumer pipelines in one group across rebalances:
#   kcons -J -G sink --commit-acks F | s3put --max-age N ... > F
# A starts (batches cut at 3 s); B is added mid-stream (cut at 1 s): A's
# partitions are revoked, and kcons tells s3put on the stream and waits
# for its answer.  A is killed with SIGKILL mid-stream (B gets them all,
# after kmock's session timeout); C is added.  The records arrive slowly
# and in bursts all the while.  At the end every record is in S3 exactly
# once, read back with the AWS CLI and counted by s3cat --list, and the
# group's offsets are all committed.  Run with the eager protocol
# (librdkafka's default) and the cooperative one.
. "$QP_ROOT/tests/lib.sh"
s3rver_start lake
kmock_start -t eager:4 -t coop:4
NREC=1600
awk -v n="$NREC" 'BEGIN { for (i = 0; i < n; i++)
	printf "{\"seq\":%d,\"symbol\":\"SYM-%03d\",\"current_price\":%d.%02d}\n", i, i % 77, 1000 + i % 997, i % 100 }' >"$T/q"

# scenario TOPIC [KCONS -X ...]: the whole story, on topic TOPIC, group
# sink-TOPIC, keys under s3://lake/TOPIC/.
scenario() {
	local topic=$1 prod rb sb rc sc k; shift
	KCONS_ARGS=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 "$@")
	# Slowly (about 40 a second), with a burst of 200 at once every 400.
	awk '{ print; fflush(); if (NR % 400 < 200) system("sleep 0.025") }' "$T/q" |
	    kprod -b "$BROKERS" -t "$topic" -k .symbol 2>"$T/kprod.err" &
	prod=$!

	# A cuts its batches later than B: were A to store a batch of a
	# partition it lost, it would land after B's of the same offsets.
	pipeline A 3
	wait_for 30 sh -c "grep -q 'stored s3://' '$T/A.s3put.err'"
	check "$topic: A stores objects" grep -q 'stored s3://' "$T/A.s3put.err"
	pipeline B 1
	wait_for 30 sh -c "grep -q 'assigned: ..*' '$T/B.kcons.err'"
	wait_for 30 sh -c "grep -q 'stored s3://' '$T/B.s3put.err'"
	check "  ... B, added mid-stream, is assigned partitions and stores" grep -q 'stored s3://' "$T/B.s3put.err"
	grep_file "  ... A's kcons: partitions revoked when B joined" 'revoked.*: '"$topic" "$T/A.kcons.err"
	check "  ... and its s3put answered the revoke in time" \
	    bash -c "! grep -q 'did not answer' '$T/A.kcons.err'"
	sleep 1.5
	kill -KILL "$KC_A" "$SP_A"; wait "$KC_A" "$SP_A" 2>/dev/null
	echo "# A killed: $(s3_keys lake "$topic/" | wc -l) objects so far"
	# kmock admits a member only after the session timeout of the dead one.
	pipeline C 1
	wait_for 40 sh -c "grep -q 'assigned: $topic' '$T/C.kcons.err'"
	check "  ... C, added after A's death, is assigned partitions" grep -q "assigned: $topic" "$T/C.kcons.err"
	wait "$prod"
	check "  ... $NREC records produced" test $? -eq 0

	# Every record is stored once the objects hold as many as were produced.
	wait_for 60 all_stored "$topic"
	kill -TERM "$KC_B" "$KC_C"
	wait "$KC_B"; rb=$?; wait "$SP_B"; sb=$?
	wait "$KC_C"; rc=$?; wait "$SP_C"; sc=$?
	is "  ... B and C end cleanly on SIGTERM (kcons, s3put)" "$rb $sb $rc $sc" "0 0 0 0"

	for k in $(s3_keys lake "$topic/"); do
		/usr/bin/aws --endpoint-url "$S3_URL" s3 cp "s3://lake/$k" - | gzip -dc
	done >"$T/got"
	is "  ... read back with the AWS CLI: every record" "$(jq .seq "$T/got" | sort -un | wc -l)" "$NREC"
	is "  ... each exactly once" "$(wc -l <"$T/got")" "$NREC"
	s3cat --endpoint "$S3_URL" --list "s3://lake/$topic/" >"$T/inv" 2>"$T/inv.err"
	is "  ... s3cat --list: every partition contiguous (exit 0)" "$?" 0
	is "  ... four partitions, from offset 0, $NREC records in all" \
	    "$(jq -sc '[.[] | select(.type == "partition")] | [length, (map(.first_offset) | max), (map(.records) | add), (map(.contiguous) | all)]' "$T/inv")" \
	    "[4,0,$NREC,true]"
	check "  ... no ack of a revoked partition was committed, none went unanswered" \
	    bash -c "! grep -h 'not this member' '$T'/[ABC].kcons.err"

	# The group's offsets are all committed: a new member reads nothing.
	timeout 60 kcons -b "$BROKERS" -t "$topic" -G "sink-$topic" -J -e "${KCONS_ARGS[@]}" \
	    >"$T/rest" 2>"$T/rest.err"
	is "  ... the group's committed offsets are at the end: nothing is read again" "$(wc -l <"$T/rest")" 0
	echo "# $topic: $(s3_keys lake "$topic/" | wc -l) objects; records dropped at revokes:" \
	    "$(grep -h ' revoked: ' "$T"/[ABC].s3put.err | awk '{ n += $4 } END { print n + 0 }')"
	mkdir "$T/$topic"; mv "$T"/[ABC].*.err "$T/$topic/"
}
pipeline() {
	consumer_start "$1" "$topic" "sink-$topic" --max-age "$2" --max-records 100000 \
	    "s3://lake/$topic/dt=%Y-%m-%d/"
}
all_stored() {
	s3cat --endpoint "$S3_URL" --list "s3://lake/$1/" 2>/dev/null |
	    jq -s '[.[] | select(.type == "partition") | .records] | add' | grep -qx "$NREC"
}

scenario eager
# kmock (librdkafka 2.0.2's mock cluster) ends each cooperative
# rebalance by declaring the assignment lost: the handshake runs all the
# same, and the commits in it are refused.
scenario coop -X partition.assignment.strategy=cooperative-sticky

# A sink that reads but never answers: when a second member joins, kcons
# writes its revoke lines, waits half of max.poll.interval.ms, and stops
# with 75 rather than be given records of partitions the sink may hold.
rm -f "$T/mute.acks"; mkfifo "$T/mute.acks"
exec 7<>"$T/mute.acks"	# a writer that never writes
MX=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X max.poll.interval.ms=8000)
kcons -v -b "$BROKERS" -t eager -G mute -J --commit-acks "$T/mute.acks" "${MX[@]}" \
    >"$T/mute.out" 2>"$T/mute.err" &
k1=$!
wait_for 30 grep -q 'assigned: eager' "$T/mute.err"
kcons -b "$BROKERS" -t eager -G mute "${MX[@]}" >/dev/null 2>&1 &
k2=$!
wait_for 40 sh -c "! kill -0 $k1 2>/dev/null"
kill -KILL "$k1" 2>/dev/null; wait "$k1"; rc=$?
kill -KILL "$k2"; wait "$k2" 2>/dev/null
exec 7>&-
is "a sink that does not answer a revoke: kcons exits 75 within the bound, says why" \
    "$rc $(grep -c 'the sink did not answer the revoke of 4 partitions within 4000 ms: stopping' "$T/mute.err")" "75 1"
is "  ... its last lines are the four revokes, nothing after" \
    "$(tail -4 "$T/mute.out" | jq -c '[.control, .partition]' | sort | tr -d '\n')" \
    '["revoke",0]["revoke",1]["revoke",2]["revoke",3]'
done_testing
