# quote-xform: the default cleaning, custom programs, errors.
. "$QP_ROOT/tests/lib.sh"
F=$QP_ROOT/tests/fixtures

quote-xform --clean "$F/quotes.jsonl" >"$T/out"; rc=$?
is "the default program exits 0" "$rc" 0
same_file "  ... and gives exactly the cleaned records (fields, order, values)" \
    "$T/out" "$F/quotes.clean.jsonl"
quote-xform --print-default >"$T/clean.jq"; rc=$?
quote-xform -f "$T/clean.jq" <"$F/quotes.jsonl" >"$T/out2"
is "--print-default prints the program that runs by default" \
    "$rc $(cmp -s "$T/out2" "$F/quotes.clean.jsonl" && echo same)" "0 same"

printf '{"a":1,"b":[1,2,3]}\n{"a":2,"b":[]}\n' >"$T/in"
is "a program with several outputs per record, and none" \
    "$(quote-xform -e '.b[] | . * 10' "$T/in" | tr '\n' ' ')" "10 20 30 "
is "--arg and --argjson" \
    "$(quote-xform -e '{a, s: $s, j: $j}' --arg s hi --argjson j '{"x":[1]}' "$T/in" | tr '\n' ' ')" \
    '{"a":1,"s":"hi","j":{"x":[1]}} {"a":2,"s":"hi","j":{"x":[1]}} '
quote-xform -e '.' --argjson j 'NaN' "$T/in" >/dev/null 2>"$T/err"; rc=$?
is "--argjson with invalid JSON: exit 64" "$rc $(grep -c 'not valid JSON' "$T/err")" "64 1"

printf '{"a":1}\n{"a":"x"}\n{"a":3}\n' >"$T/rt"
quote-xform -e '.a + 1' "$T/rt" >"$T/out" 2>"$T/err"; rc=$?
is "a runtime error mid-stream: exit 65, the other records out" \
    "$rc $(tr '\n' ' ' <"$T/out")" "65 2 4 "
grep_file "  ... named by file and line with jq's message" \
    "^quote-xform: $T/rt:2: jq: error: string \(\"x\"\) and number \(1\) cannot be added$" "$T/err"
quote-xform --on-error=fail -e '.a + 1' "$T/rt" >"$T/out" 2>"$T/err"; rc=$?
is "--on-error=fail stops at the first error" "$rc $(tr '\n' ' ' <"$T/out")" "65 2 "
grep_file "  ... and says so at the end" '^quote-xform: 1 bad line \(stopped at the first\)$' "$T/err"
quote-xform --on-error=skip -e '.a + 1' "$T/rt" >"$T/out" 2>"$T/err"; rc=$?
is "--on-error=skip: exit 0" "$rc $(tr '\n' ' ' <"$T/out")" "0 2 4 "

mkfifo "$T/never"
timeout 10 quote-xform -e '.a +' "$T/never" >"$T/out" 2>"$T/err"; rc=$?
is "a compile error: exit 64 before any input is read, nothing out" \
    "$rc $(wc -c <"$T/out")" "64 0"
grep_file "  ... with jq's message" 'syntax error' "$T/err"

printf '{"a":1}\n{"a":}\nNaN\n{"a":2}\n' | quote-xform -e .a >"$T/out" 2>"$T/err"; rc=$?
is "bad lines: exit 65, good ones through" "$rc $(tr '\n' ' ' <"$T/out")" "65 1 2 "
grep_file "  ... each named" '^quote-xform: <stdin>:3: invalid JSON at byte 1: unexpected character$' "$T/err"
quote-xform -f "$T/no-such.jq" </dev/null 2>"$T/err"; rc=$?
is "a missing program file: exit 66" "$rc" 66
quote-xform -e . "$T/no-such-input" 2>"$T/err"; rc=$?
is "a missing input file: exit 66" "$rc" 66
is "halt_error stops with its status, like jq" \
    "$(printf '{"a":1}\n{"a":2}\n' | quote-xform -e 'if .a == 2 then "bye\n" | halt_error(3) else . end' 2>/dev/null; echo "rc=$?")" \
    '{"a":1}
rc=3'

# A record the program passes through unchanged keeps its own bytes
# (whitespace between tokens aside); values the program builds are
# printed by libjq, as jq -c prints them.
printf '{"a": 1e300, "n" : 9007199254740993, "s":"\\u00e9/"}\n{"a":0}\n' >"$T/exact"
is "select passes the record through byte for byte (1e300, 2^53+1, escapes)" \
    "$(quote-xform -e 'select(.a > 1)' "$T/exact")" '{"a":1e300,"n":9007199254740993,"s":"\u00e9/"}'
is "  ... while a value the program builds is printed as jq -c does" \
    "$(quote-xform -e 'select(.a > 1) | {a, n, s}' "$T/exact")" "$(jq -c 'select(.a > 1) | {a, n, s}' "$T/exact")"
deep=$(printf '[%.0s' $(seq 300))$(printf ']%.0s' $(seq 300))
is "300 levels of nesting (libjq 1.6's own parser stops at 256)" \
    "$(echo "$deep" | quote-xform -e '[paths] | length')" 299

# Every power of two a double holds, 2^-1074 ... 2^1023, printed as jq -c
# prints it (issue 10: 46 of them had other digits, e.g. 2^-24 as
# 5.9604644775390625e-08 where jq prints 5.960464477539063e-08).
seq -1074 1023 >"$T/exp"
quote-xform -e 'pow(2; .)' "$T/exp" >"$T/pow.out" 2>"$T/err"; rc=$?
jq -c 'pow(2; .)' "$T/exp" >"$T/pow.jq"
is "all 2098 powers of two as jq -c prints them" \
    "$rc $(wc -l <"$T/pow.out") $(diff "$T/pow.out" "$T/pow.jq" | grep -c '^<')" "0 2098 0"
diff "$T/pow.out" "$T/pow.jq" | head -4 | sed 's/^/#   /'
is "  ... 2^-24 among them" "$(sed -n 1051p "$T/pow.out")" 5.960464477539063e-08
/usr/bin/python3 -c '
import random, struct
random.seed(10)
for i in range(5000):
    d = struct.unpack("<d", struct.pack("<Q", random.getrandbits(64)))[0]
    if d == d and abs(d) != float("inf"):
        print(repr(d))' >"$T/rand"
is "  ... and 5000 doubles of random bits too" \
    "$(quote-xform -e '[.]' "$T/rand" | cmp - <(jq -c '[.]' "$T/rand") && echo same)" same
jq -c '[., -.]' "$T/pow.jq" >"$T/pow.in"
is "  ... and a record holding them passes through byte for byte" \
    "$(quote-xform -e . "$T/pow.in" | cmp - "$T/pow.in" && echo same)" same

# ---- Called as jq is, held to jq 1.6 (Debian's /usr/bin/jq) ----
# Each program runs over the quotes and the hostile values
# (tests/fixtures/README.md) in quote-xform and in jq -c with the same
# options; stdout must be the same bytes, and where jq fails quote-xform
# fails too.  (Not the other way: jq 1.6 exits with the status of the
# last input alone, so a runtime error in an earlier record leaves it at
# 0, where quote-xform exits 65.)
JQ=/usr/bin/jq
FX=$T/fx.jsonl
cat "$F/quotes.jsonl" "$F/hostile.jsonl" >"$FX"
NAGREE=0
# agree ARGS...: quote-xform ARGS FX against jq -c ARGS FX.
agree() {
	local qrc jrc
	NAGREE=$((NAGREE + 1))
	quote-xform "$@" "$FX" >"$T/qx.out" 2>"$T/qx.err"; qrc=$?
	"$JQ" -c "$@" "$FX" >"$T/jq.out" 2>"$T/jq.err"; jrc=$?
	# (stderr is not compared, but under ASan it must hold no report.)
	if cmp -s "$T/qx.out" "$T/jq.out" && { [ "$jrc" -eq 0 ] || [ "$qrc" -ne 0 ]; } &&
	    ! grep -q Sanitizer "$T/qx.err"; then
		ok "as jq -c: $* (exit $qrc, jq $jrc)"
	else
		not_ok "as jq -c: $* (exit $qrc, jq $jrc)"
		diff "$T/qx.out" "$T/jq.out" | head -6 | sed 's/^/#   /'
		head -3 "$T/qx.err" | sed 's/^/#   qx: /'
	fi
}
agree .symbol
agree .current_price
agree .name
agree .seq
agree .a
agree '[.[]?]'
agree '.[]?'
agree 'keys?'
agree '[paths]'
agree tostring
agree tojson
agree 'tojson | fromjson'
agree length
agree type
agree '{symbol, p: .current_price}?'
agree '.current_price * 2'
agree '.current_price + 0.1'
agree '.country.code? // "none"'
agree 'to_entries? | map(.key)'
agree 'if type == "object" then del(.country) else empty end'
agree 'with_entries(.value |= tostring)?'
agree '[.[]? | numbers] | add'
agree '.name | explode? | length'
agree '.symbol | sub("-"; "_")?'
agree 'tostring | @base64'
agree '[.symbol?, .current_price?] | @csv'
agree '.current_price | floor?'
agree '.prev_close_date | strptime("%Y-%m-%d")? | mktime'
agree '[.[]?] | .[:2]'
agree 'getpath(["a", 0, 1, 1, 0])?'
agree '.a | flatten?'
agree '[tostream?] | length'
agree '[.. | numbers] | map(. + 0)'
agree '$__loc__'
agree 'error("no")'
agree '.a |'
# (On the last record: jq 1.6 goes on after a halt and aborts, 134, at
# the next input; quote-xform stops, as jq 1.7 does.)
agree 'if .symbol? == "DUP" then "stop\n" | halt_error(3) else .symbol? end'
agree '[type, (input | type)]'
agree -r .symbol
agree -r '.name'
agree -r 'tostring'
agree -r '.[]?'
agree -j '.symbol'
agree -j '.symbol, 1e1000, "\n"'
agree -s length
agree -s 'map(.symbol?)'
agree -s '.'
agree -s 'map(numbers)'
agree -n '[inputs | .symbol?]'
agree -n 'input'
agree -n 'reduce inputs as $q (0; . + 1)'
agree -n '[input, input] | map(.symbol)'
agree -n -s 'input | length'
agree -n -r '"a\tb", 1e1000, ([inputs] | length)'
agree --arg s BIG 'select(.symbol? == $s) | .seq'
agree --argjson j '{"x":[1,1e1000,"\u00e9"]}' '$j'
agree --arg a 1 --argjson b '[2]' '$ARGS, [$a, $b]'
agree -S 'if type == "object" then . else empty end'
printf '.current_price? | numbers | . * 100 | floor\n' >"$T/prog.jq"
agree -f "$T/prog.jq"
agree -r -f "$T/prog.jq"
is "  ... $NAGREE comparisons" "$([ "$NAGREE" -ge 30 ] && echo "30 or more")" "30 or more"

# An output that is the input unchanged keeps the input's bytes (above);
# read back by jq, it is what jq -c prints.
for p in . '' 'select(.symbol?)' '..' 'select(type == "object" or type == "array")'; do
	quote-xform "$p" "$FX" 2>"$T/qx.err" | "$JQ" -c . >"$T/qx.out" 2>&1
	"$JQ" -c "$p" "$FX" >"$T/jq.out"
	same_file "as jq -c once read back: $p (the records themselves pass through)" \
	    "$T/qx.out" "$T/jq.out"
done

# ---- The program, the files, the cleaning ----
quote-xform "$F/quotes.jsonl" >"$T/out" 2>"$T/err"; rc=$?
is "a file as the first operand: exit 64, nothing out" "$rc $(wc -c <"$T/out")" "64 0"
is "  ... and one line that says what to use" "$(cat "$T/err")" \
    "quote-xform: '$F/quotes.jsonl' is not a jq program but a file: the first operand is the program, as in jq; to clean a file: quote-xform --clean FILE"
quote-xform <"$F/quotes.jsonl" >"$T/out"; rc=$?
is "no program at all: the cleaning, of stdin" \
    "$rc $(cmp -s "$T/out" "$F/quotes.clean.jsonl" && echo same)" "0 same"
quote-xform --clean - <"$F/quotes.jsonl" >"$T/out"; rc=$?
is "--clean -: every operand is a file" \
    "$rc $(cmp -s "$T/out" "$F/quotes.clean.jsonl" && echo same)" "0 same"
is "-e PROGRAM: every operand is a file" \
    "$(quote-xform -e .symbol "$F/quotes.jsonl" "$F/quotes.jsonl" | wc -l)" 6
is "options after the program and the files, as jq takes them" \
    "$(quote-xform .symbol "$F/quotes.jsonl" -r | head -1)" COMP-USA

# usage NAME WANT_LINE ARGS...: exit 64 with that one line.
usage() {
	local name=$1 want=$2 rc; shift 2
	quote-xform "$@" </dev/null >"$T/out" 2>"$T/err"; rc=$?
	is "usage error, $name: exit 64, one line" "$rc $(cat "$T/err")" "64 quote-xform: $want"
}
usage "--clean and a program" "--clean and -e: give one program" --clean -e .
usage "-e and -f" "-e and -f: give one program" -e . -f "$T/prog.jq"
usage "--arg without its value" "--arg x: missing its value" . --arg x
usage "--max-line junk" "--max-line 1Q: expected a size such as 1048576 or 8M" --max-line 1Q .

# Blank lines are whitespace between values, as jq has them.
printf '{"a":1}\n\n   \n\t\r\n{"a":2}\n' >"$T/blank"
quote-xform .a "$T/blank" >"$T/out" 2>"$T/err"; rc=$?
is "blank lines are skipped, not errors" "$rc $(tr '\n' ' ' <"$T/out")$(wc -c <"$T/err")" "0 1 2 0"

# -n reads nothing unless the program asks.
timeout 10 quote-xform -n '1 + 1' "$T/never" >"$T/out" 2>"$T/err"; rc=$?
is "-n without input reads no input" "$rc $(cat "$T/out")" "0 2"

# A reader that goes away: quiet, 0.
quote_lines 200000 >"$T/big"
quote-xform . "$T/big" 2>"$T/err" | head -1 >"$T/out"; rc=${PIPESTATUS[0]}
is "quote-xform . big | head -1: exit 0, nothing said" \
    "$rc $(wc -l <"$T/out") $(wc -c <"$T/err")" "0 1 0"
quote-xform -r .symbol "$T/big" 2>"$T/err" | head -1 >"$T/out"; rc=${PIPESTATUS[0]}
is "  ... and so with -r" "$rc $(cat "$T/out") $(wc -c <"$T/err")" "0 SYM-0000 0"
# ... also while it waits for input: it need not wait for a write to fail.
mkfifo "$T/slow"
exec 8<>"$T/slow"
echo '{"a":1}' >&8
t0=$(date +%s)
timeout 20 quote-xform .a <"$T/slow" 2>"$T/err" | head -1 >"$T/out"; rc=${PIPESTATUS[0]}
exec 8>&-
is "  ... and while it waits for input: exit 0 at once, nothing said" \
    "$rc $(cat "$T/out") $(wc -c <"$T/err") $([ $(($(date +%s) - t0)) -lt 10 ] && echo soon)" "0 1 0 soon"
done_testing
