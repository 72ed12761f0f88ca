# kmock: bootstrap line, topics, control commands, clean stop, its limits.
. "$QP_ROOT/tests/lib.sh"

kmock_start -n 2 -t quotes:6 -t other:1
is "first stdout line is a bootstrap list of 2 loopback brokers" \
    "$(echo "$BROKERS" | tr ',' '\n' | grep -cE '^127\.0\.0\.1:[0-9]+$')" 2
kcat -L -b "$BROKERS" -t quotes >"$T/md" 2>&1
grep_file "-t quotes:6 pre-creates 6 partitions (seen by kcat -L)" \
    'topic "quotes" with 6 partitions' "$T/md"
kcat -L -b "$BROKERS" -t other >"$T/md" 2>&1
grep_file "-t other:1 pre-creates 1 partition" 'topic "other" with 1 partitions' "$T/md"

check "control: topic NAME N creates a topic" kmock_ctl topic made 3
kcat -L -b "$BROKERS" -t made >"$T/md" 2>&1
grep_file "  ... and kcat sees it" 'topic "made" with 3 partitions' "$T/md"
check "control: rtt, down, up, error, clear answer ok" \
    eval 'kmock_ctl rtt all 10 && kmock_ctl rtt all 0 && kmock_ctl down 2 &&
    kmock_ctl up 2 && kmock_ctl error Produce 2 REQUEST_TIMED_OUT &&
    kmock_ctl clear Produce'
if kmock_ctl down 7; then not_ok "control: a bad broker id is refused"
else ok "control: a bad broker id is refused"; fi
grep_file "  ... with the reason on stdout" '^error down 7: no broker' "$KMOCK_OUT"
if kmock_ctl error Produce 1 NO_SUCH_ERROR; then not_ok "control: an unknown error name is refused"
else ok "control: an unknown error name is refused"; fi

kill -TERM "$KMOCK_PID"
wait "$KMOCK_PID"; rc=$?
is "SIGTERM stops kmock with status 0" "$rc" 0
if kcat -L -b "$BROKERS" -m 2 >/dev/null 2>&1; then
	not_ok "the brokers are gone after SIGTERM"
else ok "the brokers are gone after SIGTERM"; fi

kmock -n 0 >/dev/null 2>"$T/err"; rc=$?
is "-n 0 is a usage error (64)" "$rc" 64
kmock -t nopartitions >/dev/null 2>"$T/err"; rc=$?
is "-t without :N is a usage error (64)" "$rc" 64
grep_file "  ... naming the argument" 'nopartitions: expected NAME:PARTITIONS' "$T/err"
kmock --broker-count 65 >/dev/null 2>"$T/err"; rc=$?
is "--broker-count 65 is a usage error (64), said" \
    "$rc $(grep -c '^kmock: -n 65: expected a whole number from 1 to 64$' "$T/err")" "64 1"
# --broker-count is the count; --brokers, its old name, still works for
# old scripts but is not shown (every other tool's --brokers is a list).
for opt in --broker-count --brokers; do
	kmock_start "$opt" 2
	is "$opt 2 starts 2 brokers" "$(echo "$BROKERS" | tr ',' '\n' | wc -l)" 2
	kill -TERM "$KMOCK_PID"; wait "$KMOCK_PID"
done
is "--help names --broker-count, not --brokers" \
    "$(kmock --help | grep -c -- '--broker-count N') $(kmock --help | grep -c -- '--brokers')" "1 0"

# The documented limit: about the last 5 MB of a partition are kept.
kmock_start -n 1 -t trim:1
awk 'BEGIN { pad = sprintf("%900s", ""); for (i = 0; i < 12000; i++) printf "{\"i\":%d,\"pad\":\"%s\"}\n", i, pad }' >"$T/big"
kprod -q -b "$BROKERS" -t trim "$T/big"
kcons -q -b "$BROKERS" -t trim -e >"$T/kept"
kept_bytes=$(wc -c <"$T/kept")
first=$(head -1 "$T/kept" | sed 's/{"i":\([0-9]*\),.*/\1/')
last=$(tail -1 "$T/kept" | sed 's/{"i":\([0-9]*\),.*/\1/')
echo "# 11 MB produced to one partition; kept $kept_bytes bytes, records $first..$last"
if [ "$kept_bytes" -ge 4000000 ] && [ "$kept_bytes" -le 6500000 ] && [ "$last" = 11999 ] && [ "$first" -gt 0 ]; then
	ok "kmock keeps about the last 5 MB of a partition (documented limit)"
else not_ok "kmock keeps about the last 5 MB of a partition (documented limit)"; fi
done_testing
