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
done_testing
