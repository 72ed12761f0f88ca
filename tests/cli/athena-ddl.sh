# athena-ddl: the CREATE EXTERNAL TABLE for the cleaned quotes, types
# inferred and merged, partition projection pointing where s3put writes.
. "$QP_ROOT/tests/lib.sh"
F=$QP_ROOT/tests/fixtures

athena-ddl --location s3://lake/quotes/ "$F/quotes.clean.jsonl" >"$T/ddl" 2>"$T/err"; rc=$?
is "the cleaned quotes: exit 0" "$rc" 0
same_file "  ... the DDL is the reviewed one (tests/fixtures/quotes.clean.ddl)" "$T/ddl" "$F/quotes.clean.ddl"
is "  ... prices double, prev_close_date date, last_updated timestamp, names string" \
    "$(grep -E '^  `(current_price|prev_close_date|last_updated|name|country_code)` ' "$T/ddl" | tr -d ',' | tr '\n' ';')" \
    '  `name` string;  `current_price` double;  `prev_close_date` date;  `last_updated` timestamp;  `country_code` string;'
grep_file "  ... read by the OpenX JSON SerDe" "^ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'$" "$T/ddl"
grep_file "  ... partitioned by dt with projection (no crawler, no MSCK REPAIR)" \
    "'projection.enabled'='true'" "$T/ddl"
grep_file "  ... and a storage.location.template" "'storage.location.template'='s3://lake/quotes/dt=\\$\\{dt\\}/'" "$T/ddl"

# Where s3put puts a day is where the projection looks for it.
s3rver_start lake
quote-xform "$F/quotes.jsonl" |
    s3put --endpoint "$S3_URL" --time-field .last_updated 's3://lake/quotes/dt=%Y-%m-%d/' >"$T/acks" 2>"$T/err"
tmpl=$(sed -n "s/.*'storage.location.template'='\\(.*\\)'/\\1/p" "$T/ddl")
fmt_ok=1
while read -r key; do
	dt=${key#quotes/dt=}; dt=${dt%%/*}
	date -d "$dt" +%F >/dev/null 2>&1 || fmt_ok=0
	case "s3://lake/$key" in "${tmpl//\$\{dt\}/$dt}"*) ;; *) fmt_ok=0 ;; esac
done < <(jq -r .key "$T/acks")
is "s3put's keys (dt=%Y-%m-%d) fall under the template with dt as yyyy-MM-dd" "$fmt_ok $(wc -l <"$T/acks")" "1 1"

printf '%s\n' '{"a":1,"B-c":[1,2.5],"s":{"x":"2023-05-12 10:00:00","y":null},"n":null,"t":"2023-05-12T10:00:00Z"}' \
    '{"a":2.5,"B-c":[],"s":{"x":"2023-05-12 10:00:00.123","z":true},"n":"x","t":"2023-05-13T10:00:00Z"}' \
    '{"a":12345678901234567890,"s":"flat","B-c":[3]}' >"$T/mixed"
athena-ddl --location s3://lake/t --table db.t --partition day --since 2023-01-01 "$T/mixed" >"$T/ddl2" 2>"$T/err"; rc=$?
is "merged types: bigint+double, arrays, struct vs string, null, ISO text, key mapping" \
    "$rc $(sed -n '1,/^)/p' "$T/ddl2" | tr -d '\n')" \
    '0 CREATE EXTERNAL TABLE IF NOT EXISTS `db`.`t` (  `a` double,  `b_c` array<double>,  `s` string,  `n` string,  `t` string)'
grep_file "  ... a key that is no column name is mapped back by the SerDe" "^  'mapping.b_c'='B-c'$" "$T/ddl2"
grep_file "  ... --partition and --since" "'projection.day.range'='2023-01-01,NOW'" "$T/ddl2"

printf '{"a":1}\n[1]\nnope\n{"a":2}\n' | athena-ddl --location s3://l/x/ >"$T/out" 2>"$T/err"; rc=$?
is "bad lines (an array, not JSON): exit 65, each named, the DDL still printed" \
    "$rc $(grep -c '<stdin>:[23]:' "$T/err") $(grep -c '`a` bigint' "$T/out")" "65 2 1"
grep_file "  ... and counted at the end" '^athena-ddl: 2 bad lines skipped$' "$T/err"
echo '{"dt":"x"}' | athena-ddl --location s3://l/x/ >/dev/null 2>"$T/err"; rc=$?
is "a field named like the partition column: exit 65 with the reason" "$rc $(grep -c 'clashes with the partition column' "$T/err")" "65 1"
# Keys with a backslash or a quote (issue 10, item 10): the mapping is
# a Hive string literal that gives the key back, escapes undone.
printf '{"a\\\\":1,"b'"'"'c":2,"d\\\\'"'"'":3}\n' | athena-ddl --location s3://l/x/ >"$T/out" 2>"$T/err"; rc=$?
# Each mapping line read as Hive reads a string literal: \ escapes the
# next character, an unescaped ' ends it, and only a comma may follow.
/usr/bin/python3 - "$T/out" >"$T/keys" <<'PY'
import sys
for line in open(sys.argv[1]):
    if not line.startswith("  'mapping."):
        continue
    rest = line.rstrip("\n").split("'='", 1)[1]
    out, i = "", 0
    while i < len(rest) and rest[i] != "'":
        if rest[i] == "\\":
            i += 1
        out += rest[i:i + 1]
        i += 1
    print(out if rest[i + 1:] in ("", ",") else "BROKEN:" + line.strip())
PY
is "keys with \\ and ': exit 0, each mapping's literal reads back as the key" \
    "$rc $(tr '\n' ' ' <"$T/keys")" "0 a\\ b'c d\\' "
athena-ddl </dev/null >/dev/null 2>&1; rc=$?
is "no --location: exit 64" "$rc" 64
athena-ddl --location s3://l/x/ </dev/null >/dev/null 2>"$T/err"; rc=$?
is "no records: exit 66" "$rc $(cat "$T/err")" "66 athena-ddl: no records to infer columns from"
done_testing
