# quote-window with Kafka and S3 (issue 14): the same quotes give the
# same bars live (kprod -> kcons -> quote-window), replayed from S3
# (s3cat -> quote-window), and through SIGKILLs of a consumer with
# --state and kcons --commit-acks, restarted each time and then run to
# the end.  Against kmock and s3rver.
#
# One partition: the watermark is the input's largest event time, so
# records of several partitions give the same bars only when the
# consumer's interleaving of them stays within --lateness; a replay from
# S3 reads a partition at a time (quote-window(1), "Replays").
. "$QP_ROOT/tests/lib.sh"
wcheck() { /usr/bin/python3 "$QP_ROOT/tests/cli/windowcheck.py" "$@"; }
s3rver_start lake
kmock_start -t quotes:1 -t rb:3
NQ=20000
wcheck gen "$NQ" 50 5 "$T/q"
QWO=(--lateness 5s --size 1m --top 3 --alert '.pct_change > 0.5')
KILLS=${QP_WINDOW_KILLS:-6}

# Live: a consumer without state, and the S3 sink, both reading while
# the quotes are produced, 500 every 0.75 s.
kcons -b "$BROKERS" -t quotes -G live -J -c "$NQ" 2>"$T/live.kcons.err" |
    quote-window "${QWO[@]}" >"$T/live" 2>"$T/live.err" &
LIVE=$!
KCONS_ARGS=(-c "$NQ")
consumer_start sink quotes sink --max-age 2 's3://lake/quotes/dt=%Y-%m-%d/'
KCONS_ARGS=()
(
	split -l 500 -d -a 3 "$T/q" "$T/chunk."
	for c in "$T"/chunk.*; do
		kprod -b "$BROKERS" -t quotes "$c" || exit 1
		sleep 0.75
	done
) 2>"$T/prod.err" &
PROD=$!

# The consumer with --state, SIGKILLed at random moments (0 to 2.5 s
# after it is given the partition): quote-window, kcons or both in turn,
# while commits lag.
# Each run's bars go to a file of their own.
wrun() {	# wrun K [QUOTE-WINDOW OPTIONS]
	local k=$1; shift
	rm -f "$T/w.data" "$T/w.acks"; mkfifo "$T/w.data" "$T/w.acks"
	kcons -v -b "$BROKERS" -t quotes -G wk -J --commit-acks "$T/w.acks" \
	    -X session.timeout.ms=3000 -X heartbeat.interval.ms=300 \
	    ${KCONS_ARGS[@]+"${KCONS_ARGS[@]}"} >"$T/w.data" 2>>"$T/wk.kcons.err" &
	KC=$!
	quote-window -v "${QWO[@]}" --state "$T/w.state" --acks "$T/w.acks" \
	    --checkpoint 200ms "$@" <"$T/w.data" >"$T/run.$k" 2>>"$T/wk.err" &
	QW=$!
}
k=0
while [ "$k" -lt "$KILLS" ] || kill -0 "$PROD" 2>/dev/null; do
	[ "$k" -lt 40 ] || break
	k=$((k + 1))
	n0=$(cat "$T/wk.kcons.err" 2>/dev/null | grep -c 'assigned: ')
	wrun "$k"
	wait_for 30 sh -c "[ \$(cat '$T/wk.kcons.err' 2>/dev/null | grep -c 'assigned: ') -gt $n0 ]"
	# The coordinator refuses the next 8 commits (kcons retries them 250
	# ms apart): the state is ahead of the commits when the kill comes,
	# and the next run reads again records that the state has counted.
	kmock_ctl error OffsetCommit 8 COORDINATOR_LOAD_IN_PROGRESS
	sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", (r % 250) / 100 }')"
	case $((k % 3)) in
	0) kill -KILL "$QW" ;;
	1) kill -KILL "$KC" ;;
	2) kill -KILL "$QW" "$KC" ;;
	esac
	wait "$KC" "$QW" 2>/dev/null
	kmock_ctl clear OffsetCommit
	echo "# kill $k: $(cat "$T"/run.* | wc -l) lines so far"
done
wait "$PROD"
check "$NQ quotes produced, 500 every 0.75 s" test $? -eq 0
KCONS_ARGS=(-e)
wrun end --drain
wait "$KC"; rc1=$?; wait "$QW"; rc2=$?
is "$k SIGKILLs (at least $KILLS), then a run to the end: exit 0 (kcons, quote-window)" \
    "$([ "$k" -ge "$KILLS" ] && echo enough) $rc1 $rc2" "enough 0 0"
wait "$LIVE"; rc=$?
wait "$KC_sink"; rc1=$?; wait "$SP_sink"; rc2=$?
is "the live consumer and the S3 sink end after $NQ records: exit 0" "$rc $rc1 $rc2" "0 0 0"

# Live bars: pandas's.
wcheck check "$T/q" <(grep '"type":"bar"' "$T/live") 60 60 >"$T/cmp"; crc=$?
is "live bars equal pandas's resample('60s') of the quotes" "$crc $(sed 's/[0-9]* bars, [0-9]* from/N bars, N from/' "$T/cmp")" \
    "0 N bars, N from pandas, 0 differences"
echo "# live: $(grep -c '"type":"bar"' "$T/live") bars, $(grep -c '"type":"top"' "$T/live") top lines, $(grep -c '"type":"alert"' "$T/live") alerts"

# Replay from S3: the same bars, byte for byte.
s3cat --endpoint-url "$S3_URL" s3://lake/quotes/ 2>"$T/s3cat.err" |
    quote-window "${QWO[@]}" >"$T/replay" 2>"$T/replay.err"
is "replayed from S3 (s3cat | quote-window): the live bars, tops and alerts, byte for byte" \
    "${PIPESTATUS[0]} ${PIPESTATUS[1]} $(cmp -s "$T/replay" "$T/live" && echo same)" "0 0 same"

# Through the kills: every line of every run is one of the live run's
# (a bar may come twice, the same); none missing.  A SIGKILL can cut a
# run's last line short: such a line is no bar and is left out, counted.
cut=0
for f in "$T"/run.*; do
	if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then
		cut=$((cut + 1))
		sed -i '$d' "$f"
	fi
done
cat "$T"/run.* >"$T/runs"
sort -u "$T/runs" >"$T/runs.u"
sort "$T/live" >"$T/live.s"
is "through $k SIGKILLs with --state and acks: the set of bars, tops and alerts equals the live run's" \
    "$(comm -3 "$T/runs.u" "$T/live.s" | wc -l) $(wc -l <"$T/runs.u")" "0 $(wc -l <"$T/live")"
is "  ... no id with two different lines" \
    "$(jq -r .id "$T/runs.u" | sort | uniq -d | wc -l)" 0
echo "# $(wc -l <"$T/runs") lines in $k+1 runs, $(($(wc -l <"$T/runs") - $(wc -l <"$T/runs.u"))) written twice, $cut cut short by a kill"
echo "# restarts that skipped records the state had counted: $(grep -c 'counted before the restart: skipped to offset' "$T/wk.err")"
is "  ... the state after the end: no window open" "$(grep -c '^window' "$T/w.state")" 0
kcons -b "$BROKERS" -t quotes -G wk -J -e -X session.timeout.ms=3000 >"$T/rest" 2>/dev/null
is "  ... every offset committed from the acks: the group has nothing left to read" "$(wc -l <"$T/rest")" 0

# A rebalance: a second member joins the group; kcons asks the first to
# revoke partitions, and quote-window answers once a checkpoint holds
# what it took from them and their acks are out.  The new owner reads
# from those commits: no record counted twice.  (A lateness of an hour:
# kcons hands over one partition's records after another's.)
kprod -b "$BROKERS" -t rb -k .symbol "$QP_ROOT/examples/ticks.sample.jsonl" 2>"$T/err"
member() {	# member NAME: kcons -J -G rb --commit-acks | quote-window --state --acks
	rm -f "$T/$1.data" "$T/$1.acks"; mkfifo "$T/$1.data" "$T/$1.acks"
	kcons -vv -b "$BROKERS" -t rb -G rb -J --commit-acks "$T/$1.acks" \
	    -X session.timeout.ms=6000 -X heartbeat.interval.ms=300 >"$T/$1.data" 2>"$T/$1.kcons.err" &
	eval "KC_$1=\$!"
	quote-window -v --lateness 1h --state "$T/$1.state" --acks "$T/$1.acks" --checkpoint 200ms \
	    <"$T/$1.data" >"$T/$1.bars" 2>"$T/$1.err" &
	eval "QW_$1=\$!"
}
member A
wait_for 30 grep -q 'assigned: ' "$T/A.kcons.err"
wait_for 30 sh -c "[ \$(cat '$T/A.state' 2>/dev/null | grep -c '^source ') = 3 ]"
member B
wait_for 60 grep -q 'the sink answered the revoke' "$T/A.kcons.err"
wait_for 30 grep -q 'assigned: ' "$T/B.kcons.err"
sleep 1
kill -TERM "$KC_A" "$KC_B"
wait "$KC_A"; a1=$?; wait "$QW_A"; a2=$?; wait "$KC_B"; b1=$?; wait "$QW_B"; b2=$?
is "a second member joins: the first's revokes answered after a checkpoint; all exit 0 on SIGTERM" \
    "$a1 $a2 $b1 $b2 $(grep -c 'revoked: checkpoint, acks, answer' "$T/A.err" | awk '$1 > 0 { print "answered" }') $(grep -c 'did not' "$T/A.kcons.err")" \
    "0 0 0 0 answered 0"
is "  ... the new owner reads from the first's commits: 144 records counted once in all" \
    "$(cat "$T/A.err" "$T/B.err" | grep -o '[0-9]* records in' | awk '{ s += $1 } END { print s }')" 144
done_testing
