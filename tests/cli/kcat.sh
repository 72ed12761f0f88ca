# kcat's habits: each row of the README's "From kcat" table, run with
# kcat itself and with the quotepipe tool that does the job, on the same
# messages: the same bytes out, the same messages in.
. "$QP_ROOT/tests/lib.sh"
kmock_start -t src:3 -t one:1

# Messages kcat writes: keys (one empty, one absent), headers (one with
# an empty value, one without a value: null), values with bytes a format
# must pass as they are.
kcat -P -b "$BROKERS" -t src -p 0 -K '|' -H h1=v1 -H h2= 2>/dev/null <<'X'
k1|{"a":1}
k2|[1,2,{"b":"é\t"}]
|plain text
k4|{"sym":"^GSPC","p":4137.64}
X
printf 'nokey\n' | kcat -P -b "$BROKERS" -t src -p 0 -H hn 2>/dev/null
printf 'p1-a\np1-b\n' | kcat -P -b "$BROKERS" -t src -p 1 -K '|' 2>/dev/null
printf 'x\n' | kcat -P -b "$BROKERS" -t src -p 2 2>/dev/null

# both NAME KCAT-ARGS -- KCONS-ARGS: the same stdout bytes and status.
both() {
	local name=$1 k=() q=()
	shift
	while [ "$1" != -- ]; do k+=("$1"); shift; done
	shift
	q=("$@")
	kcat "${k[@]}" >"$T/kcat.out" 2>/dev/null; krc=$?
	kcons "${q[@]}" >"$T/kcons.out" 2>"$T/kcons.err"; qrc=$?
	if [ "$krc $qrc" = "0 0" ] && [ -s "$T/kcat.out" ] && cmp -s "$T/kcat.out" "$T/kcons.out"; then
		ok "$name"
	else
		not_ok "$name"; echo "#   kcat $krc, kcons $qrc"
		cmp "$T/kcat.out" "$T/kcons.out" | sed 's/^/#   /'
		head -3 "$T/kcons.err" | sed 's/^/#   /'
	fi
}

F='%t|%p|%o|%k|%K|%s|%S|%h|%T|%%|\x41\x4a\t\\|\q|\x414|\x7e7|%R|\101|\xAB|\x|\x9|\65A|\%s|\%%s|\\%s|\1234|\x0065|\x41x|\99999999999999999999999|\e\n'
both "kcat -C -f FORMAT -> kcons -C -f FORMAT: every token, the same bytes" \
    -C -b "$BROKERS" -t src -p 0 -e -f "$F" -- -C -b "$BROKERS" -t src -p 0 -e -f "$F"
both "  ... as a kcat command line is pasted: -C -b -t -p -o -e -f" \
    -C -b "$BROKERS" -t src -p 1 -o 1 -e -f '%o %k=%s\n' -- -C -b "$BROKERS" -t src -p 1 -o 1 -e -f '%o %k=%s\n'
both "kcat -C -p 2 -> kcons -p 2: only that partition" \
    -C -b "$BROKERS" -t src -p 2 -e -f '%p/%o %s\n' -- -b "$BROKERS" -t src -p 2 -e -f '%p/%o %s\n'
both "kcat -C -o -2 -p 0 -> kcons -o -2 -p 0: the last two" \
    -C -b "$BROKERS" -t src -p 0 -o -2 -e -f '%o\n' -- -b "$BROKERS" -t src -p 0 -o -2 -e -f '%o\n'
both "kcat -C -c 2 -> kcons -c 2" \
    -C -b "$BROKERS" -t src -p 0 -c 2 -f '%s\n' -- -b "$BROKERS" -t src -p 0 -c 2 -f '%s\n'
both "kcat -C -K DELIM -> kcons -K DELIM: key, delimiter, value" \
    -C -b "$BROKERS" -t src -p 0 -e -K '::' -- -b "$BROKERS" -t src -p 0 -e -K '::'
both "kcat -C -K '\t' -> kcons -K '\t': a tab, kcat's escapes read" \
    -C -b "$BROKERS" -t src -p 0 -e -K '\t' -- -b "$BROKERS" -t src -p 0 -e -K '\t'
both "kcat -C -e (values, one per line) -> kcons -f '%s\\n'" \
    -C -b "$BROKERS" -t src -p 0 -e -- -b "$BROKERS" -t src -p 0 -e -f '%s\n'

# What kcat -C prints by default, kcons prints as JSON lines: the JSON
# values as they are, the rest as JSON strings.
kcons -C -b "$BROKERS" -t src -p 0 -e >"$T/out" 2>/dev/null; rc=$?
is "kcons -C without -f: JSON lines (a text value as a JSON string)" \
    "$rc $(jq -c . "$T/out" | tr '\n' ' ')" \
    '0 {"a":1} [1,2,{"b":"é\t"}] "plain text" {"sym":"^GSPC","p":4137.64} "nokey" '

kcons -b "$BROKERS" -t src -p 3 -e >"$T/out" 2>"$T/err"; rc=$?
is "kcons -p with a partition the topic lacks: exit 66, said" \
    "$rc $(grep -c '^kcons: src: no partition 3 (it has 3, from 0)$' "$T/err") $(wc -c <"$T/out")" "66 1 0"
kcons -b "$BROKERS" -t src -p 0 -G g 2>"$T/err"; rc=$?
is "kcons -p with -G: a usage error in one line" "$rc $(wc -l <"$T/err")" "64 1"
for bad in '%x' 'tail %'; do
	kcat -C -b "$BROKERS" -t src -p 0 -e -f "$bad" >/dev/null 2>&1; krc=$?
	kcons -b "$BROKERS" -t src -p 0 -e -f "$bad" >"$T/out" 2>"$T/err"; rc=$?
	is "-f '$bad': kcat refuses it, kcons too, before reading (64, one line)" \
	    "$([ "$krc" -ne 0 ] && echo refused) $rc $(wc -l <"$T/err") $(wc -c <"$T/out")" "refused 64 1 0"
done
kcons -J -f '%s' -b "$BROKERS" -t src 2>"$T/err"; rc=$?
is "-f with -J: a usage error in one line" "$rc $(grep -c '^kcons: -f prints its own format: not with -J' "$T/err")" "64 1"

# kcat's options for another tool's job: pointed at the tool.
kcons -P -b "$BROKERS" -t src 2>"$T/err"; rc=$?
is "kcons -P: exit 64, one line pointing at kprod" \
    "$rc $(wc -l <"$T/err") $(grep -c '^kcons: -P: kcons only consumes: to produce, as kcat -P, use kprod$' "$T/err")" "64 1 1"
kcons -L -b "$BROKERS" 2>"$T/err"; rc=$?
is "kcons -L: exit 64, one line pointing at kmeta" \
    "$rc $(wc -l <"$T/err") $(grep -c 'kmeta' "$T/err")" "64 1 1"
done_testing
