# Every reader s3put's users have reads its objects back to the same lines:
# the AWS CLI piped into gzip -d, a download checked and unpacked by gzip,
# Python's gzip module (from the file, and from botocore), pandas'
# read_json, DuckDB's read_json (@duckdb/node-api, tests/deps.sh --test)
# and s3cat.  Each object is one gzip member (s3put joins its chunks),
# stored by one PUT or a multipart upload; a control object of many
# members shows every reader here would read those too.
#
# The input (tests/cli/readcheck.py gen: invented quote-like records, not
# market data, with hostile but valid JSON objects among them, and lines
# of 700 KB) is 32 MiB, stored whole at --gzip-level 1, 6 and 9 as objects
# of several 1 MiB chunks and several 5 MiB parts, and in part as small
# objects.  Each object is compared with the exact input lines its ack
# counts, the objects taken in key order (a run's keys sort in input
# order): the byte readers byte for byte, pandas and DuckDB by value.
. "$QP_ROOT/tests/lib.sh"
s3rver_start lake
s3proxy_start "$S3_URL"	# counts the parts of each upload
rcheck() { /usr/bin/python3 "$QP_ROOT/tests/cli/readcheck.py" "$@"; }

rcheck gen "$T/in.jsonl" "$QP_ROOT/tests/fixtures/hostile.jsonl"
head -5000 "$T/in.jsonl" >"$T/head.jsonl"
grep -v '"symbol":"SYM-' "$T/in.jsonl" >"$T/hostile.jsonl"	# the hostile and the long lines

# show FILE: its lines but the last (a reader's problems) as TAP comments.
show() { sed '$d' "$1" | head -10 | cut -c1-400 | sed 's/^/#   /'; }

# readers RUN WHAT PREFIX INPUT: every object under s3://lake/PREFIX,
# listed by the AWS CLI, read back by each reader and compared with the
# lines of INPUT its ack in $T/RUN.acks counts (the objects in key order
# cut INPUT in order).  Files in $T/RUN/: NNN.jsonl, an object's input
# lines; NNN.gz, the object downloaded; keys, the keys in order.
readers() {
	local run=$1 what=$2 prefix=$3 in=$4 d=$T/$1 k f i n ok want rc
	mkdir -p "$d"
	s3_keys lake "$prefix" >"$d/keylist"
	rcheck split "$in" "$T/$run.acks" "$d/keylist" "$d" 2>"$d/split.err"; rc=$?
	is "$what: S3 lists the acked keys, whose records cut the input in key order" \
	    "$rc $(cat "$d/split.err")" "0 "
	[ "$rc" -eq 0 ] || return
	n=$(wc -l <"$d/keys")

	# The AWS CLI to standard output, into gzip -d.
	ok=0 i=0; : >"$d/pipe.all"
	for k in $(cat "$d/keys"); do
		f=$d/$(printf %03d $i); i=$((i + 1))
		aws3 s3 cp "s3://lake/$k" - </dev/null 2>>"$d/aws.err" | gzip -d >"$f.pipe" 2>>"$d/aws.err" &&
		    cmp -s "$f.pipe" "$f.jsonl" && ok=$((ok + 1))
		cat "$f.pipe" >>"$d/pipe.all"
	done
	is "  ... aws s3 cp s3://lake/KEY - | gzip -d: each object ($n) its input lines; all, the input" \
	    "$ok $(cmp -s "$d/pipe.all" "$in" && echo same)" "$n same"
	[ -s "$d/aws.err" ] && head -5 "$d/aws.err" | sed 's/^/#   /'

	# The AWS CLI to a file: gzip -t, gzip -d, its size the ack's bytes.
	ok=0 i=0
	for k in $(cat "$d/keys"); do
		f=$d/$(printf %03d $i); i=$((i + 1))
		want=$(jq -r --arg k "$k" 'select(.key == $k) | .bytes' "$T/$run.acks")
		aws3 s3 cp "s3://lake/$k" "$f.gz" </dev/null >/dev/null 2>>"$d/cp.err" &&
		    gzip -t "$f.gz" 2>>"$d/cp.err" && gzip -dc "$f.gz" | cmp -s - "$f.jsonl" &&
		    [ "$(stat -c %s "$f.gz")" = "$want" ] && ok=$((ok + 1))
	done
	is "  ... aws s3 cp to a file: gzip -t passes, gzip -d gives its lines, the ack's size ($ok of $n)" "$ok" "$n"
	[ -s "$d/cp.err" ] && head -5 "$d/cp.err" | sed 's/^/#   /'

	rcheck gzip "$d" "$S3_URL" lake >"$d/gzip.out" 2>&1
	is "  ... Python's gzip.open (the file) and gzip.decompress (botocore's get_object): byte for byte" \
	    "$(tail -1 "$d/gzip.out")" "objects $n ok $n"
	show "$d/gzip.out"

	rcheck pandas "$d" >"$d/pandas.out" 2>&1
	is "  ... pandas read_json(lines=True, compression='gzip'): the rows, each field json.loads of its line" \
	    "$(tail -1 "$d/pandas.out")" "objects $n ok $n"
	show "$d/pandas.out"

	node "$QP_ROOT/tests/cli/duckread.mjs" "$d" >"$d/duck.out" 2>&1
	is "  ... DuckDB read_json(format='newline_delimited', compression='gzip'): count(*), sum(volume), every symbol and name" \
	    "$(tail -1 "$d/duck.out")" "objects $n ok $n rows $(wc -l <"$in")"
	show "$d/duck.out"

	s3cat -q --endpoint "$S3_URL" "s3://lake/$prefix" >"$d/s3cat" 2>"$d/s3cat.err"; rc=$?
	is "  ... s3cat s3://lake/$prefix: exit 0, the input byte for byte" \
	    "$rc $(cmp -s "$d/s3cat" "$in" && echo same)" "0 same"
	[ "$rc" -eq 0 ] || head -5 "$d/s3cat.err" | sed 's/^/#   /'

	# s3put compresses 1 MiB chunks apart and joins them into one gzip
	# member per object: a reader that stops after a file's first member
	# (Trino before 422, JDK-8081450) still reads it all.
	MEMBERS=$(rcheck members "$d"/[0-9][0-9][0-9].gz 2>&1); rc=$?
	if [ "$run" = control ]; then
		is "  ... every member whole ($MEMBERS)" "$rc" 0
	else
		is "  ... one gzip member per object, whole (members: $MEMBERS)" \
		    "$rc $(echo "$MEMBERS" | tr ' ' '\n' | sort -u)" "0 1"
	fi
	rm -f "$d"/[0-9][0-9][0-9].* "$d/pipe.all" "$d/s3cat"	# 150 MB a big run
}

# store RUN INPUT ARGS...: s3put ARGS... <INPUT through the recording
# proxy; acks in $T/RUN.acks, its requests in $T/RUN.proxy.
store() {
	local run=$1 in=$2; shift 2
	: >"$T/proxy.log"
	s3put --endpoint "$PROXY_URL" "$@" <"$in" >"$T/$run.acks" 2>"$T/$run.err"; STORE_RC=$?
	cp "$T/proxy.log" "$T/$run.proxy"
	[ "$STORE_RC" -eq 0 ] || head -5 "$T/$run.err" | sed 's/^/#   /'
}
# parts RUN: how each object went up, in ack order: "N parts" (N part
# PUTs the proxy saw for its key) or "one PUT".
parts() {
	local k
	for k in $(jq -r .key "$T/$1.acks"); do
		jq -r --arg p "/lake/$k" 'select(.method == "PUT" and .path == $p and (.query | startswith("partNumber="))) | .query' \
		    "$T/$1.proxy" | wc -l
	done | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), ($1 > 0 ? $1 " parts" : "one PUT") }'
}
# first_upload RUN: "multipart" if the run's first object went up in parts.
first_upload() { parts "$1" | awk '{ print (/^[0-9]+ parts/ && $1 + 0 > 1 ? "multipart" : "not multipart") }'; }

MB=$(( $(stat -c %s "$T/in.jsonl") / 1048576 ))
store l1 "$T/in.jsonl" --gzip-level 1 --max-bytes 100M --max-records 100000000 --part-size 5M s3://lake/l1/
is "--gzip-level 1, the $MB MiB input as one object: exit 0, multipart (parts: $(parts l1))" \
    "$STORE_RC $(wc -l <"$T/l1.acks") $(first_upload l1)" "0 1 multipart"
readers l1 "  level 1, one big object" l1/ "$T/in.jsonl"

store l6 "$T/in.jsonl" --max-bytes 24M --max-records 100000000 --part-size 5M s3://lake/l6/
is "default level, --max-bytes 24M: exit 0, 2 objects, the first multipart (parts: $(parts l6))" \
    "$STORE_RC $(wc -l <"$T/l6.acks") $(first_upload l6)" "0 2 multipart"
readers l6 "  level 6, a big object and a smaller one" l6/ "$T/in.jsonl"

store l9 "$T/in.jsonl" --gzip-level 9 --max-bytes 100M --max-records 100000000 --part-size 5M s3://lake/l9/
is "--gzip-level 9, the $MB MiB input as one object: exit 0, multipart (parts: $(parts l9))" \
    "$STORE_RC $(wc -l <"$T/l9.acks") $(first_upload l9)" "0 1 multipart"
readers l9 "  level 9, one big object" l9/ "$T/in.jsonl"

store s1 "$T/head.jsonl" --gzip-level 1 --max-records 1000 s3://lake/s1/
is "--gzip-level 1 --max-records 1000, the first 5000 lines: exit 0, 5 objects" \
    "$STORE_RC $(wc -l <"$T/s1.acks")" "0 5"
readers s1 "  level 1, small objects" s1/ "$T/head.jsonl"

store s9 "$T/hostile.jsonl" --gzip-level 9 s3://lake/s9/
is "--gzip-level 9, default batching, only the $(wc -l <"$T/hostile.jsonl") hostile and long lines: exit 0, 1 object" \
    "$STORE_RC $(wc -l <"$T/s9.acks")" "0 1"
readers s9 "  level 9, the hostile lines" s9/ "$T/hostile.jsonl"

# A control, not s3put's: the input gzip'd by Python as one member per
# MiB, uploaded by the AWS CLI.  It shows the readers read concatenated
# members too, as other writers (pigz -i, bgzip, cat a.gz b.gz) make them.
rcheck multimember "$T/in.jsonl" "$T/control.gz" 1048576
aws3 s3 cp "$T/control.gz" s3://lake/control/in.jsonl.gz >/dev/null
printf '{"bucket":"lake","key":"control/in.jsonl.gz","records":%d,"bytes":%d}\n' \
    "$(wc -l <"$T/in.jsonl")" "$(stat -c %s "$T/control.gz")" >"$T/control.acks"
CHUNKS=$(( ($(stat -c %s "$T/in.jsonl") + 1048575) / 1048576 ))
readers control "control: the input as $CHUNKS gzip members of 1 MiB, stored by the AWS CLI" \
    control/ "$T/in.jsonl"
is "  ... the member count seen is one per MiB" "$MEMBERS" "$CHUNKS"
done_testing
