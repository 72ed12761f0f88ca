# Quiet pipes and plain manners (issue 15): `TOOL | head -1` ends each
# streaming tool without a word and with status 0, as SIGPIPE ends cat or
# jq; blank lines are skipped; usage errors are one line that says what
# is wrong; QP_STATS is checked and its lines come on time while idle.
. "$QP_ROOT/tests/lib.sh"
F=$QP_ROOT/tests/fixtures
s3rver_start lake
kmock_start -t big:1 -t idle:1 -t idle2:1 -t many:400
quote_lines 200000 >"$T/big"			# 23 MB: more than a pipe holds
kprod -b "$BROKERS" -t big "$T/big" 2>/dev/null
gzip -c "$T/big" | aws3 s3 cp - s3://lake/big/one.jsonl.gz >/dev/null

# quiet NAME CMD...: CMD | head -1 gives one line, CMD exits 0, says nothing.
quiet() {
	local name=$1; shift
	timeout 120 "$@" 2>"$T/err" | head -1 >"$T/out"
	local rc=${PIPESTATUS[0]}
	is "$name | head -1: exit 0, one line, nothing on stderr" \
	    "$rc $(wc -l <"$T/out") $(wc -c <"$T/err")" "0 1 0"
	[ -s "$T/err" ] && head -3 "$T/err" | sed 's/^/#   /'
}
quiet "kcons" kcons -b "$BROKERS" -t big -e
quiet "kcons -f" kcons -b "$BROKERS" -t big -e -f '%o %s\n'
quiet "kcons -J, following the topic (no -e)" kcons -b "$BROKERS" -t big -J
quiet "s3cat" s3cat --endpoint "$S3_URL" s3://lake/big/
quiet "quote-window" sh -c "exec quote-window --time .seq --price .current_price --key .symbol --size 1 <'$T/big'"
quiet "cnn-fetch --every" cnn-fetch --base-url "file://$QP_ROOT/examples/replay" --date 2023-05-12 --every 0.1
quiet "quote-xform" quote-xform .symbol "$T/big"
quiet "quote-xform -r" quote-xform -r .symbol "$T/big"
quiet "kprod --report" kprod -b "$BROKERS" -t idle2 --report "$T/big"
quiet "kmeta" kmeta -b "$BROKERS" -J
quiet "athena-ddl" sh -c "exec athena-ddl --location s3://lake/q/ <'$T/big'"
# s3put's acks: the reader goes after the first; the next ack meets EPIPE.
# The acks are a side channel: every record is still stored.
head -30 "$T/big" >"$T/30"
quiet "s3put (its acks)" sh -c "exec s3put --endpoint '$S3_URL' --max-records 3 s3://lake/acks/ <'$T/30'"
is "  ... and all 30 records stored, in 10 objects" \
    "$(s3_keys lake acks/ | wc -l) $(for k in $(s3_keys lake acks/); do aws3 s3 cp "s3://lake/$k" - | gzip -dc; done | sort | cmp -s - <(sort "$T/30") && echo same)" "10 same"
# kcons -G: what the group commits is what was written, not what was read.
kcons -b "$BROKERS" -G gone -t big | head -1 >/dev/null
# (kmock keeps ~5 MB of a partition: offsets count from its low mark.)
committed=$(kmeta -b "$BROKERS" -G gone -t big -J | jq -r 'select(.type=="group_partition") | (.committed // .low) - .low')
last=$(kcons -b "$BROKERS" -G gone2 -t big -J -c 7 2>/dev/null | tail -1 | jq -r .offset)
c7=$(kmeta -b "$BROKERS" -G gone2 -t big -J | jq -r 'select(.type=="group_partition") | "\(.committed - .low) \(.committed)"')
is "kcons -G | head -1 commits only what was written ($committed); -c 7 commits exactly 7" \
    "$([ "${committed:-x}" -le 1000 ] && echo at-most-written) $c7" "at-most-written 7 $((last + 1))"
# Writing to a full disk is still an error, not a quiet end.
kcons -b "$BROKERS" -t big -c 5 >/dev/full 2>"$T/err"; rc=$?
is "kcons >/dev/full: still exit 74, said" "$rc $(grep -c 'stdout: No space left on device' "$T/err")" "74 1"

# Blank lines: skipped, not errors, their numbers still counted.
printf '{"a":1}\n\n   \n\t\r\n{"a":2}\nnot json\n\n' >"$T/blank"
s3put --endpoint "$S3_URL" s3://lake/blank/ <"$T/blank" >"$T/acks" 2>"$T/err"; rc=$?
is "s3put: blank lines skipped; a bad line still named by its number" \
    "$rc $(jq -r .records "$T/acks") $(grep -c '<stdin>:6: invalid JSON' "$T/err") $(wc -l <"$T/err")" "65 2 1 2"
kprod -b "$BROKERS" -t idle "$T/blank" 2>"$T/err"; rc=$?
kcons -b "$BROKERS" -t idle -e >"$T/out" 2>/dev/null
is "kprod: blank lines skipped, 2 messages, line 6 said" \
    "$rc $(wc -l <"$T/out") $(grep -c "$T/blank:6: invalid JSON" "$T/err")" "65 2 1"
quote-window --size 1 --time .a --price .a --key .a <"$T/blank" >"$T/out" 2>"$T/err"; rc=$?
is "quote-window: blank lines skipped, line 6 said" \
    "$rc $(grep -c '"type":"bar"' "$T/out") $(grep -c '<stdin>:6:' "$T/err")" "65 2 1"

# Usage errors: one line saying what is wrong, exit 64.
usage() {	# usage WANT-LINE CMD...
	local want=$1; shift
	"$@" </dev/null >"$T/out" 2>"$T/err"; local rc=$?
	is "usage: $* -> one line" "$rc $(wc -l <"$T/err") $(head -1 "$T/err")" "64 1 $want"
}
usage "s3put: no target: give s3://BUCKET/PREFIX/ (or a key template); the records come from stdin" s3put
usage "s3put: s3://lake/b/: one target only; the records come from stdin" s3put s3://lake/a/ s3://lake/b/
usage "s3put: --region needs a value (s3put --help shows it)" s3put s3://lake/a/ --region
usage "s3put: --max-records x: expected a whole number, at least 1" s3put --max-records=x s3://lake/a/
usage "s3cat: nothing to read: give s3://BUCKET/PREFIX" s3cat
usage "kcons: -o needs a value (kcons --help shows it)" kcons -t big -o
usage "kcons: extra: kcons takes no operands (topics are -t TOPIC)" kcons -t big extra
usage "kmock: -Z: no such option (kmock --help lists them)" kmock -Z
usage "cnn-fetch: x: cnn-fetch takes no operands (the source is --base-url URL)" cnn-fetch x
usage "quote-window: --size needs a value (quote-window --help shows it)" quote-window --size

# s3put: a template that needs envelopes, or a --time-field the records
# lack: said once, with the first line's number, every bad line counted.
quote_lines 50 | s3put --dry-run --time-field .ts s3://lake/t/ >/dev/null 2>"$T/err"; rc=$?
is "s3put --time-field missing in 50 lines: said once, 50 counted" \
    "$rc $(grep -c 'time-field .ts: no time' "$T/err") $(grep -c '<stdin>:1: ' "$T/err") $(grep -c '50 bad lines' "$T/err")" "65 1 1 1"
quote_lines 50 | s3put --dry-run 's3://lake/{topic}/' >/dev/null 2>"$T/err"; rc=$?
is "s3put {topic} without envelopes in 50 lines: said once, 50 counted" \
    "$rc $(grep -c 'not a Kafka envelope' "$T/err") $(grep -c '50 bad lines' "$T/err")" "65 1 1"

# QP_STATS: a value not understood is refused (78), not taken for "off".
for v in abc -1 1e9 ''; do
	QP_STATS=$v quote-window --size 1 </dev/null >/dev/null 2>"$T/err"; rc=$?
	if [ -z "$v" ]; then is "QP_STATS='' is off: exit 0, nothing said" "$rc $(wc -c <"$T/err")" "0 0"
	else is "QP_STATS=$v: exit 78, one line naming it" "$rc $(wc -l <"$T/err") $(grep -c "QP_STATS=$v: expected seconds" "$T/err")" "78 1 1"; fi
done
QP_STATS=1 QP_STATS_FORMAT=json kcons -b "$BROKERS" -t idle -e >/dev/null 2>"$T/err"; rc=$?
is "QP_STATS_FORMAT=json: exit 78, said" "$rc $(grep -c 'QP_STATS_FORMAT=json: expected text' "$T/err")" "78 1"
# Idle tools still report on time: 0.4 s lines over 2 s with no record.
for t in kcons kprod quote-xform; do
	case $t in
	kcons) QP_STATS=0.4 timeout -s TERM 2 kcons -b "$BROKERS" -t idle -o end >/dev/null 2>"$T/err" ;;
	kprod) sleep 2.5 | QP_STATS=0.4 timeout -s TERM 2 kprod -b "$BROKERS" -t idle >/dev/null 2>"$T/err" ;;
	quote-xform) sleep 2.5 | QP_STATS=0.4 timeout -s TERM 2 quote-xform . >/dev/null 2>"$T/err" ;;
	esac
	n=$(grep -c "^$t: stats: " "$T/err")
	is "QP_STATS=0.4, $t idle for 2 s: lines on time ($n periodic, want 3 to 5)" \
	    "$([ "$n" -ge 3 ] && [ "$n" -le 5 ] && echo on-time) $(grep -c "^$t: stats (end): " "$T/err")" "on-time 1"
done
done_testing
