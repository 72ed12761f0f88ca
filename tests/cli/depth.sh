# One depth rule for the whole pipe (issue 10, item 11): a record nests at
# most 1024 levels, counted from the record itself; the level an envelope
# adds around it does not count.  kprod -> kmock -> kcons -J -> s3put with
# a record at the limit, and one over it.
. "$QP_ROOT/tests/lib.sh"
s3rver_start lake
kmock_start -t deep:1

# nest N: a record of N nested objects, {"a":{"a":...1...}}.
nest() { printf '{"a":%.0s' $(seq "$1"); printf 1; printf '}%.0s' $(seq "$1"); echo; }
nest 1024 >"$T/at"
nest 1025 >"$T/over"
stored() { for k in $(s3_keys lake "$1"); do aws3 s3 cp "s3://lake/$k" - | gzip -dc; done; }

{ echo '{"n":1}'; cat "$T/at"; echo '{"n":3}'; } >"$T/in"
kprod -b "$BROKERS" -t deep "$T/in" 2>"$T/err"; rc=$?
is "kprod: a record nested exactly 1024 levels deep is sent (exit 0)" "$rc $(wc -c <"$T/err")" "0 0"
kprod -b "$BROKERS" -t deep "$T/over" 2>"$T/err"; rc=$?
is "kprod: one level more is a bad line (exit 65), not sent" \
    "$rc $(grep -c '^kprod: .*:1: .*nesting too deep' "$T/err")" "65 1"
# Another producer may still send it: it must not be lost either.
kprod --raw -b "$BROKERS" -t deep "$T/over" 2>"$T/err"; rc=$?
is "  ... kprod --raw sends it as any other producer could (exit 0)" "$rc" 0

timeout 60 kcons -b "$BROKERS" -t deep -J -e 2>"$T/kcons.err" >"$T/env"; rc=$?
is "kcons -J: four envelopes, one per message" "$rc $(wc -l <"$T/env")" "0 4"
s3put --endpoint "$S3_URL" --max-records 10 's3://lake/deep/' <"$T/env" >"$T/acks" 2>"$T/err"; rc=$?
is "s3put: the envelope around the record at the limit is read (exit 0, no message)" "$rc $(wc -c <"$T/err")" "0 0"
is "  ... one ack for offsets 0-3, four records" \
    "$(jq -c '[.first_offset, .last_offset, .records]' "$T/acks")" "[0,3,4]"
stored deep/ >"$T/s3"
is "  ... S3 holds the records as sent, the one at the limit byte for byte" \
    "$(sed -n 1p "$T/s3") $(sed -n 2p "$T/s3" | cmp -s - "$T/at" && echo same) $(sed -n 3p "$T/s3")" \
    '{"n":1} same {"n":3}'
is "  ... and the deeper one from the other producer, as a string (kcons: not a record)" \
    "$(sed -n 4p "$T/s3" | jq -r . | cmp -s - "$T/over" && echo same)" same

# The record rule holds for a record on its own, everywhere.
s3put --endpoint "$S3_URL" 's3://lake/plain/' <"$T/over" >"$T/acks" 2>"$T/err"; rc=$?
is "s3put: a plain record 1025 levels deep is a bad line (exit 65), not stored" \
    "$rc $(grep -c 'nesting too deep' "$T/err") $(wc -l <"$T/acks")" "65 1 0"
s3put --endpoint "$S3_URL" 's3://lake/plain/' <"$T/at" >"$T/acks" 2>"$T/err"; rc=$?
is "  ... one 1024 levels deep is stored" "$rc $(wc -l <"$T/acks")" "0 1"
sed 's/^{"a"/{"topic":"deep","partition":0,"offset":9,"value":{"a"/; s/$/}/' "$T/at" >"$T/env2"
sed 's/"value":/"key":/' "$T/env2" >"$T/env3"
s3put --endpoint "$S3_URL" 's3://lake/env2/' <"$T/env2" >"$T/acks" 2>"$T/err"; rc=$?
is "an envelope written by hand, its value at the limit: stored" "$rc $(wc -l <"$T/acks")" "0 1"
s3put --endpoint "$S3_URL" 's3://lake/env3/' <"$T/env3" >"$T/acks" 2>"$T/err"; rc=$?
is "  ... the same depth in another field than value: a bad line" \
    "$rc $(grep -c 'nesting too deep' "$T/err")" "65 1"
kcons -b "$BROKERS" -t deep -J -e 2>/dev/null | quote-xform -e '.offset' >"$T/out" 2>"$T/err"; rc=$?
is "quote-xform reads the envelopes too" "$rc $(tr '\n' ' ' <"$T/out")" "0 0 1 2 3 "
done_testing
