# QP_STATS: counters on request from every data tool, as text progress
# lines or as CloudWatch Embedded Metric Format on stderr.
. "$QP_ROOT/tests/lib.sh"
F=$QP_ROOT/tests/fixtures
kmock_start -t st:2
s3rver_start lake

# emf_ok FILE TOOL: the last EMF line of FILE is well formed for TOOL:
# every metric it declares is a number at the top level.
emf_ok() {
	tail -1 "$1" | jq -e --arg tool "$2" '
	    . as $r | ._aws.CloudWatchMetrics[0] as $m
	    | ($r._aws.Timestamp | type) == "number"
	    and $m.Namespace == "quotepipe" and $m.Dimensions == [["tool"]]
	    and $r.tool == $tool and $r.final == true and ($m.Metrics | length) > 0
	    and ([$m.Metrics[] | (.Unit | test("^(Count|Bytes|Milliseconds)$"))
	        and ($r[.Name] | type) == "number"] | all)' >/dev/null
}
export QP_STATS=0 QP_STATS_FORMAT=emf
quote_lines 200 >"$T/q"
quote-xform -e 'select(.seq % 2 == 0)' "$T/q" >/dev/null 2>"$T/e1"
check "quote-xform: an EMF line CloudWatch reads" emf_ok "$T/e1" quote-xform
is "  ... counting 200 in, 100 out" "$(tail -1 "$T/e1" | jq -c '[.records_in, .records_out, .bad_lines]')" "[200,100,0]"
kprod -b "$BROKERS" -t st "$T/q" 2>"$T/e2"
check "kprod: an EMF line" emf_ok "$T/e2" kprod
is "  ... 200 in, 200 delivered, a delivery latency" \
    "$(tail -1 "$T/e2" | jq -c '[.records_in, .delivered, .failed, (.delivery_latency_ms > 0)]')" "[200,200,0,true]"
kcons -b "$BROKERS" -t st -e >/dev/null 2>"$T/e3"
check "kcons: an EMF line" emf_ok "$T/e3" kcons
is "  ... 200 records out" "$(tail -1 "$T/e3" | jq .records_out)" 200
s3put --endpoint "$S3_URL" --max-records 50 's3://lake/st/' <"$T/q" >/dev/null 2>"$T/e4"
check "s3put: an EMF line" emf_ok "$T/e4" s3put
is "  ... 200 records, 4 objects stored" "$(tail -1 "$T/e4" | jq -c '[.records_in, .objects, .records_stored, .retries]')" "[200,4,200,0]"
s3cat --endpoint "$S3_URL" s3://lake/st/ >/dev/null 2>"$T/e5"
check "s3cat: an EMF line" emf_ok "$T/e5" s3cat
is "  ... 4 objects" "$(tail -1 "$T/e5" | jq .objects)" 4
cnn-fetch --base-url "file://$QP_ROOT/examples/replay" --date 2023-05-12 >/dev/null 2>"$T/e6"
check "cnn-fetch: an EMF line" emf_ok "$T/e6" cnn-fetch
is "  ... 6 quotes out, 1 fetch" "$(tail -1 "$T/e6" | jq -c '[.quotes_out, .fetches, .failed_fetches]')" "[6,1,0]"

# Text progress while a long run goes on.
QP_STATS=0.3 QP_STATS_FORMAT= quote-xform -e . < <(for i in $(seq 15); do echo "{\"i\":$i}"; sleep 0.1; done) \
    >/dev/null 2>"$T/t1"
is "QP_STATS=0.3: progress lines while it runs, then the end" \
    "$( [ "$(grep -c '^quote-xform: stats: ' "$T/t1")" -ge 2 ] && echo progress) $(grep -c '^quote-xform: stats (end): .*records_in 15, records_out 15, bad_lines 0' "$T/t1")" \
    "progress 1"
unset QP_STATS
quote-xform -e . "$T/q" >/dev/null 2>"$T/t2"
is "without QP_STATS: no stats" "$(wc -c <"$T/t2")" 0
done_testing
