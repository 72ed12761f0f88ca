# athena-ddl: the CREATE EXTERNAL TABLE for the cleaned quotes, types
# inferred and merged, partition projection pointing where s3put writes;
# and the statements that compact its days into a Parquet table.
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
quote-xform --clean "$F/quotes.jsonl" |
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

# ---- Compaction into Parquet (issue 12): CREATE TABLE AS ... WITH NO
# DATA once, an INSERT INTO per day.  Each statement is one line, read
# here as Athena's query grammar reads it (create-table-as.html,
# insert-into.html): names in double quotes ("" inside), strings in
# single quotes ('' inside), and exactly the shape of a CTAS or an
# INSERT INTO ... SELECT, so a name or literal that broke out of its
# quotes would fail the reading.  Prints one JSON object a line.
cat >"$T/sql.py" <<'PY'
import json, re, sys

def lex(s):
    toks, i = [], 0
    while i < len(s):
        c = s[i]
        if c == " ":
            i += 1
        elif c in "'\"":
            j, v = i + 1, ""
            while True:
                if j >= len(s):
                    raise SyntaxError("unterminated " + c)
                if s[j] == c:
                    if s[j + 1:j + 2] != c:
                        break
                    j += 1
                v += s[j]
                j += 1
            toks.append(("str" if c == "'" else "name", v))
            i = j + 1
        elif c in "(),=[];.":
            toks.append(("punct", c))
            i += 1
        else:
            m = re.match(r"[A-Za-z_]+", s[i:])
            if not m:
                raise SyntaxError("stray %r" % c)
            toks.append(("word", m.group()))
            i += m.end()
    return toks

class P:
    def __init__(self, toks):
        self.t, self.i = toks, 0
    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)
    def take(self, kind, value=None):
        k, v = self.peek()
        if k != kind or (value is not None and v != value):
            raise SyntaxError("expected %s %s at %r" % (kind, value, self.peek()))
        self.i += 1
        return v
    def words(self, *ws):
        for w in ws:
            self.take("word", w)
    def table(self):
        parts = [self.take("name")]
        while self.peek() == ("punct", "."):
            self.i += 1
            parts.append(self.take("name"))
        return parts
    def names(self):
        out = [self.take("name")]
        while self.peek() == ("punct", ","):
            self.i += 1
            out.append(self.take("name"))
        return out

def statement(line):
    if not line.endswith(";"):
        raise SyntaxError("no ; at the end")
    p, r = P(lex(line)), {}
    if p.peek() == ("word", "CREATE"):
        r["kind"] = "ctas"
        p.words("CREATE", "TABLE")
        r["table"] = p.table()
        p.words("WITH")
        p.take("punct", "(")
        r["props"] = {}
        for prop in ("format", "write_compression", "external_location"):
            p.take("word", prop)
            p.take("punct", "=")
            r["props"][prop] = p.take("str")
            p.take("punct", ",")
        p.words("partitioned_by")
        p.take("punct", "=")
        p.words("ARRAY")
        p.take("punct", "[")
        r["props"]["partitioned_by"] = [p.take("str")]
        p.take("punct", "]")
        p.take("punct", ")")
        p.words("AS", "SELECT")
        r["select"] = p.names()
        p.words("FROM")
        r["from"] = p.table()
        p.words("WITH", "NO", "DATA")
    else:
        r["kind"] = "insert"
        p.words("INSERT", "INTO")
        r["table"] = p.table()
        p.take("punct", "(")
        r["columns"] = p.names()
        p.take("punct", ")")
        p.words("SELECT")
        r["select"] = p.names()
        p.words("FROM")
        r["from"] = p.table()
        p.words("WHERE")
        r["where"] = [p.take("name")]
        p.take("punct", "=")
        r["where"].append(p.take("str"))
    p.take("punct", ";")
    if p.peek() != (None, None):
        raise SyntaxError("more after the ;")
    return r

for line in open(sys.argv[1]):
    try:
        print(json.dumps(statement(line.rstrip("\n"))))
    except SyntaxError as e:
        print(json.dumps({"kind": "BROKEN", "why": str(e), "line": line}))
PY
sql() { /usr/bin/python3 "$T/sql.py" "$1"; }
PQ=s3://lake/quotes-parquet/

athena-ddl --location s3://lake/quotes/ --parquet-location "$PQ" --day 2023-05-11..2023-05-12 \
    --compaction-only "$F/quotes.clean.jsonl" >"$T/pq" 2>"$T/err"; rc=$?
is "compaction of the cleaned quotes: exit 0, nothing on stderr" "$rc $(wc -c <"$T/err")" "0 0"
same_file "  ... the statements are the reviewed ones (tests/fixtures/athena-parquet.sql)" \
    "$T/pq" "$F/athena-parquet.sql"
sql "$T/pq" >"$T/pq.json"
is "  ... each line reads as one statement: a CTAS, then an INSERT INTO a day" \
    "$(jq -r '[.kind, (.where[1] // "-")] | join(" ")' "$T/pq.json" | tr '\n' ';')" \
    "ctas -;insert 2023-05-11;insert 2023-05-12;"
is "  ... the CTAS: Parquet, Snappy, at --parquet-location, partitioned by dt, with no data" \
    "$(jq -c 'select(.kind == "ctas") | [.table, .props, .from]' "$T/pq.json")" \
    '[["quotes_parquet"],{"format":"PARQUET","write_compression":"SNAPPY","external_location":"s3://lake/quotes-parquet/","partitioned_by":["dt"]},["quotes"]]'
# The JSON table's columns, in order, as its DDL has them.
json_cols=$(sed -n 's/^  `\([a-z0-9_]*\)` .*/\1/p' "$F/quotes.clean.ddl" | paste -sd, -)
is "  ... CTAS SELECT, INSERT columns and INSERT SELECT: one list, the JSON table's columns in order, dt last" \
    "$(jq -r '(.select | join(",")), (.columns // empty | join(","))' "$T/pq.json" | sort -u)" "$json_cols,dt"
is "  ... every INSERT INTO the Parquet table, FROM the JSON table, WHERE dt is one day" \
    "$(jq -r 'select(.kind == "insert") | [(.table | join(".")), (.from | join(".")), .where[0]] | join(" ")' "$T/pq.json" | sort -u)" \
    "quotes_parquet quotes dt"

athena-ddl --location s3://lake/quotes/ --parquet-location "$PQ" --day 2023-05-11..2023-05-12 \
    "$F/quotes.clean.jsonl" >"$T/both" 2>"$T/err"; rc=$?
cat "$F/quotes.clean.ddl" "$F/athena-parquet.sql" >"$T/both.want"
same_file "without --compaction-only: the JSON table's DDL first, unchanged, then the same statements" \
    "$T/both" "$T/both.want"

athena-ddl --location s3://lake/quotes/ --compaction-only --day 2023-05-13 "$F/quotes.clean.jsonl" >"$T/daily" 2>"$T/err"; rc=$?
is "the daily run (--compaction-only --day, no --parquet-location): exit 0, its INSERT INTO alone" \
    "$rc $(sql "$T/daily" | jq -r '[.kind, .where[1]] | join(" ")')" "0 insert 2023-05-13"
is "  ... the same statement the setup run prints for that day" \
    "$(cat "$T/daily")" "$(sed 's/2023-05-12/2023-05-13/' "$F/athena-parquet.sql" | tail -1)"
athena-ddl --location s3://lake/quotes/ --day 2023-05-13 "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "--day without --compaction-only: the JSON table's DDL, then the INSERT INTO, no CTAS" \
    "$rc $(head -25 "$T/out" | cmp - "$F/quotes.clean.ddl" && tail -n +26 "$T/out" | cmp - "$T/daily" && echo same)" "0 same"

athena-ddl --location s3://lake/quotes/ --compaction-only --day 2023-05-12 --day 2023-05-09..2023-05-10 \
    --day 2024-02-28..2024-03-01 "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "--day repeated and ranges: every day once, in order, 2024-02-29 included" \
    "$rc $(sql "$T/out" | jq -r '.where[1]' | tr '\n' ' ')" \
    "0 2023-05-09 2023-05-10 2023-05-12 2024-02-28 2024-02-29 2024-03-01 "
# Athena writes at most 100 partitions a statement (insert-into.html):
# a range of 150 days is 150 statements of one day each.
athena-ddl --location s3://lake/quotes/ --compaction-only --day 2023-01-01..2023-05-30 \
    "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "a 150-day range: 150 INSERT INTOs, one day each, every day of the range once" \
    "$rc $(sql "$T/out" | jq -r 'select(.kind == "insert") | .where[1]' | sort -u | wc -l) $(wc -l <"$T/out") $(head -1 "$T/out" | grep -o "'[0-9-]*';") $(tail -1 "$T/out" | grep -o "'[0-9-]*';")" \
    "0 150 150 '2023-01-01'; '2023-05-30';"

athena-ddl --location s3://lake/quotes/ --format yyyyMMdd --compaction-only --day 2023-05-02 \
    "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "--format yyyyMMdd: the day is written as the partition holds it" "$rc $(sql "$T/out" | jq -r '.where[1]')" "0 20230502"
athena-ddl --location s3://lake/quotes/ --format 'yy/M/d' --partition day --compaction-only --day 2023-05-02 \
    "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "--format yy/M/d and --partition day" "$rc $(sql "$T/out" | jq -c '[.where, .select[-1]]')" '0 [["day","23/5/2"],"day"]'

athena-ddl --location s3://lake/quotes/ --table markets.quotes --compaction-only --parquet-location "$PQ" \
    --day 2023-05-12 "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "--table DATABASE.NAME: the Parquet table is DATABASE.NAME_parquet, each name quoted" \
    "$rc $(sql "$T/out" | jq -c '[.table, .from]' | sort -u)" '0 [["markets","quotes_parquet"],["markets","quotes"]]'
athena-ddl --location s3://lake/quotes/ --table markets.quotes --parquet-table pq --compaction-only \
    --day 2023-05-12 "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "--parquet-table NAME: in the JSON table's database" "$rc $(sql "$T/out" | jq -c '.table')" '0 ["markets","pq"]'
athena-ddl --location s3://lake/quotes/ --table markets.quotes --parquet-table lake.pq --compaction-only \
    --day 2023-05-12 "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "--parquet-table DATABASE.NAME: as given" "$rc $(sql "$T/out" | jq -c '.table')" '0 ["lake","pq"]'

# Hostile names and locations stay inside their quotes.
printf '%s\n' '{"a\"b":1,"x`y":2,"c'"'"'\"); DROP TABLE quotes; --":3,"end":4,"Date":"2023-05-12","":5}' >"$T/hostile"
athena-ddl --location s3://lake/quotes/ --parquet-location "$PQ" --day 2023-05-12 --compaction-only \
    "$T/hostile" >"$T/out" 2>"$T/err"; rc=$?
is "hostile field names (quotes, backtick, SQL, reserved words): each a plain column, quoted, read back" \
    "$rc $(sql "$T/out" | jq -c '[.kind, .select]' | tr '\n' ' ')" \
    '0 ["ctas",["a_b","x_y","c_____drop_table_quotes____","end","date","_","dt"]] ["insert",["a_b","x_y","c_____drop_table_quotes____","end","date","_","dt"]] '
loc="s3://lake/it's \"q\" ; DROP TABLE x; --"
athena-ddl --location s3://lake/quotes/ --parquet-location "$loc" --compaction-only \
    "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "a --parquet-location with ' and \": a ' doubled, the literal reads back as the location and its /" \
    "$rc $(sql "$T/out" | jq -r '[.kind, .props.external_location] | join(" ")')" "0 ctas $loc/"
grep_file "  ... as Athena writes such a literal" "external_location = 's3://lake/it''s \"q\" ; DROP TABLE x; --/'," "$T/out"
athena-ddl --location s3://lake/quotes/ --table 'db.q"x' --parquet-location "$PQ" --day 2023-05-12 --compaction-only \
    "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "a --table with a \": doubled in the queries' names, read back" \
    "$rc $(sql "$T/out" | jq -c '[.table, .from]' | sort -u)" '0 [["db","q\"x_parquet"],["db","q\"x"]]'

# Bad values: exit 64, one line on stderr that names the value, nothing
# on stdout.
bad=0 bad_names=
for arg in 2023-02-29 2023-13-01 2023-00-10 2023-04-31 2023-5-12 2023-05-12x 23-05-12 '' \
    2023-05-12.. ..2023-05-12 2023-05-12..2023-05-01 2023-05-12...2023-05-13 ' 2023-05-12'; do
	athena-ddl --location s3://lake/quotes/ --day "$arg" "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
	if [ "$rc" != 64 ] || [ -s "$T/out" ] || [ "$(wc -l <"$T/err")" != 1 ] ||
	    ! grep -qF -- "--day $arg:" "$T/err"; then
		bad=$((bad + 1)) bad_names="$bad_names [$arg] rc=$rc $(head -2 "$T/err")"
	fi
done
is "13 bad --day values: each exit 64, one line naming it, nothing printed" "$bad$bad_names" 0
athena-ddl --location s3://lake/quotes/ --day 2023-05-10..2023-05-12 --day 2023-05-12 \
    "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "a day given twice (a range and a day): exit 64, the day named, nothing printed" \
    "$rc $(wc -c <"$T/out") $(cat "$T/err")" \
    "64 0 athena-ddl: --day 2023-05-12 is given twice: its rows would be inserted twice"
athena-ddl --location s3://lake/quotes/ --format yyyy-MMM-dd --day 2023-05-12 "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "--day with a --format it cannot write (MMM): exit 64, one line" "$rc $(wc -c <"$T/out") $(wc -l <"$T/err")" "64 0 1"
bad=0 bad_names=
for arg in lake/x/ s3:/lake/x/ s3:// s3:///x/ s3://lake/quotes/ s3://lake/quotes s3://lake/quotes/pq/ \
    s3://lake/ "s3://lake/a"$'\n'"b/" "s3://lake/a"$'\t'"b/"; do
	athena-ddl --location s3://lake/quotes/ --parquet-location "$arg" "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
	if [ "$rc" != 64 ] || [ -s "$T/out" ] || [ "$(wc -l <"$T/err")" != 1 ] ||
	    ! grep -q -- '^athena-ddl: --parquet-location[ :]' "$T/err"; then
		bad=$((bad + 1)) bad_names="$bad_names [$arg] rc=$rc $(head -2 "$T/err")"
	fi
done
is "10 bad --parquet-location values (no s3:// URL, overlapping --location, control characters): 64, one line" \
    "$bad$bad_names" 0
athena-ddl --location s3://lake/quotes/ --parquet-location s3://lake/quotes/pq/ "$F/quotes.clean.jsonl" 2>&1 >/dev/null |
    grep -q 'overlaps --location s3://lake/quotes/; each table needs a prefix of its own'
is "  ... an overlap says with what" "$?" 0
athena-ddl --location s3://lake/quotes/ --compaction-only "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "--compaction-only with nothing to compact: exit 64" "$rc $(cat "$T/err")" \
    "64 athena-ddl: --compaction-only needs --parquet-location or --day"
athena-ddl --location s3://lake/quotes/ --table db.quotes --parquet-table db.quotes --day 2023-05-12 \
    "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "--parquet-table naming the JSON table: exit 64" "$rc $(cat "$T/err")" \
    "64 athena-ddl: --parquet-table db.quotes is the JSON table"
athena-ddl --location s3://lake/quotes/ --parquet-table 'a..b' --day 2023-05-12 "$F/quotes.clean.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "--parquet-table with an empty name: exit 64, one line" "$rc $(wc -c <"$T/out") $(wc -l <"$T/err")" "64 0 1"
echo '{"a":1,"dt":"x"}' | athena-ddl --location s3://l/x/ --parquet-location s3://l/p/ --day 2023-05-12 >"$T/out" 2>"$T/err"; rc=$?
is "a field clashing with the partition column: exit 65, no statement printed at all" \
    "$rc $(wc -c <"$T/out") $(grep -c 'clashes with the partition column' "$T/err")" "65 0 1"
done_testing
