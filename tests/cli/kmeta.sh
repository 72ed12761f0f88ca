# kmeta: the cluster as kcat -L sees it, offsets, -Q, a group's lag as
# kafka-python sees it, a reader that goes away, usage errors, and
# --check, for real: a broker in a network namespace of its own reached
# through a forwarded port, as on EC2.
. "$QP_ROOT/tests/lib.sh"
PY=/usr/bin/python3
kmock_start -t m1:1 -t m3:3 -t big:1500

quote_lines 30 >"$T/p0"; quote_lines 20 >"$T/p1"
kprod -b "$BROKERS" -t m3 -p 0 "$T/p0"
kprod -b "$BROKERS" -t m3 -p 1 "$T/p1"

# --- the cluster, against kcat -L's view of it
kmeta -b "$BROKERS" >"$T/md" 2>"$T/err"; rc=$?
is "kmeta: exit 0, nothing on stderr" "$rc:$(cat "$T/err")" "0:"
kcat -L -J -b "$BROKERS" >"$T/kcat.json" 2>/dev/null
$PY - "$T/md" "$T/kcat.json" "$BROKERS" >"$T/chk" <<'X'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
kc = json.load(open(sys.argv[2]))
boot = sys.argv[3]
by = lambda t: [l for l in lines if l["type"] == t]
cl, brokers, topics, parts = by("cluster"), by("broker"), by("topic"), by("partition")
print(len(cl) == 1 and cl[0]["bootstrap"] == boot and cl[0]["brokers"] == 3,
      sorted((b["id"], "%s:%d" % (b["host"], b["port"])) for b in brokers) ==
      sorted((b["id"], b["name"]) for b in kc["brokers"]),
      sum(b["answered"] for b in brokers) == 1,
      sorted((t["topic"], t["partitions"]) for t in topics if t["topic"] != "big") ==
      [("m1", 1), ("m3", 3)],
      all(l["type"] in ("cluster", "broker", "topic", "partition") for l in lines),
      {(p["topic"], p["partition"], p["leader"], tuple(p["replicas"]), tuple(p["isr"]))
       for p in parts} ==
      {(t["topic"], p["partition"], p["leader"], tuple(r["id"] for r in p["replicas"]),
        tuple(r["id"] for r in p["isrs"])) for t in kc["topics"] for p in t["partitions"]},
      [(p["low"], p["high"]) for p in parts if p["topic"] == "m3"] == [(0, 30), (0, 20), (0, 0)])
X
is "JSON lines: one cluster line, brokers, topics and partitions (leader, replicas, ISR) as kcat -L -J has them; watermarks 0/30, 0/20, 0/0" \
    "$(cat "$T/chk")" "True True True True True True True"
kmeta -b "$BROKERS" -t m3 -t m1 >"$T/md2"
is "-t m3 -t m1: only their topic and partition lines" \
    "$(grep -E '"type":"(topic|partition)"' "$T/md2" | grep -o '"topic":"[a-z0-9]*"' | sort | uniq -c | tr -s ' ')" \
    "$(printf ' 2 "topic":"m1"\n 4 "topic":"m3"')"
kmeta -b "$BROKERS" -t m3 --table >"$T/tab"
grep_file "--table: an aligned table even into a file" \
    '^m3 +1 +[123] +[123],[123],[123] +[123],[123],[123] +0 +20$' "$T/tab"
is "  ... with headers, and JSON with -J after it" \
    "$(grep -c '^TOPIC  PARTITION  LEADER  REPLICAS  ISR    LOW  HIGH$' "$T/tab") $(kmeta -b "$BROKERS" -t m3 --table -J | head -1 | cut -c1-17)" \
    '1 {"type":"cluster"'
kmeta -b "$BROKERS" -t m3 -t nope >"$T/out" 2>"$T/err"; rc=$?
is "-t a topic not in the cluster: exit 66, said in one line, the others printed" \
    "$rc $(cat "$T/err") $(grep -c '"type":"partition"' "$T/out")" \
    "66 kmeta: topic nope: not in the cluster 3"

# --- -Q: offsets by time, kcat's spelling
kmeta -b "$BROKERS" -Q -t m3:0:-1 -t m3:0:-2 -t m3:1:-1 >"$T/q"; rc=$?
is "-Q -t m3:0:-1 -t m3:0:-2 -t m3:1:-1: end 30, beginning 0, end 20 (one partition at two times)" \
    "$rc $($PY -c 'import json,sys; print(" ".join("%s/%s@%s=%s" % (d["topic"], d["partition"], d["time"], d["offset"]) for d in map(json.loads, open(sys.argv[1]))))' "$T/q")" \
    "0 m3/0@-1=30 m3/0@-2=0 m3/1@-1=20"
kcat -Q -b "$BROKERS" -t m3:0:-1 -t m3:1:-2 2>/dev/null | grep -oE 'offset -?[0-9]+' | tr '\n' ' ' >"$T/kq"
is "  ... the same offsets as kcat -Q" \
    "$(kmeta -b "$BROKERS" -Q -t m3:0:-1 -t m3:1:-2 --table | awk 'NR > 1 { printf "offset %s ", $4 }')" \
    "$(cat "$T/kq")"
t_ms=$(($(date +%s%N) / 1000000))
kmeta -b "$BROKERS" -Q -o "s@$t_ms" -t m3 >"$T/q"; rc=$?
# librdkafka 2.0.2's mock answers every ListOffsets time query with -1
# (kcons.sh says the same): only that the answer is honoured shows here.
skip "-Q finding a middle offset by time: kmock answers every time query with -1"
is "-Q -o s@MS -t m3: each of the 3 partitions at MS; no message after it: offset null, as kcat's -1" \
    "$rc $(grep -c "\"time\":$t_ms,\"offset\":null" "$T/q") $(kcat -Q -b "$BROKERS" -t "m3:2:$t_ms" 2>/dev/null | grep -c 'offset -1')" \
    "0 3 1"
kmeta -b "$BROKERS" -Q -t m3:9:-1 >/dev/null 2>"$T/err"; rc=$?
is "-Q of a partition the topic lacks: exit 66, said" "$rc $(cat "$T/err")" \
    "66 kmeta: m3[9]: no such partition (the topic has 3)"

# --- -G: a group's committed offsets and lag, as kafka-python sees them
$PY - "$BROKERS" >"$T/consumed" 2>"$T/py.err" <<'X'
import sys, time
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1].split(","), group_id="lagg",
                  enable_auto_commit=False, api_version=(2, 5, 0))
want = {TopicPartition("m3", 0): 12, TopicPartition("m3", 1): 5}
got = {tp: 0 for tp in want}
for tp, n in want.items():       # a partial consume: 12 of p0, 5 of p1
    c.assign([tp]); c.seek_to_beginning(tp)
    deadline = time.time() + 20
    while got[tp] < n and time.time() < deadline:
        for recs in c.poll(timeout_ms=500, max_records=n - got[tp]).values():
            got[tp] += len(recs)
    c.commit()
print(got[TopicPartition("m3", 0)], got[TopicPartition("m3", 1)])
c.close()
X
is "kafka-python consumed 12 of m3[0] and 5 of m3[1] in group lagg, and committed" \
    "$(cat "$T/consumed")" "12 5"
kmeta -b "$BROKERS" -G lagg >"$T/g" 2>"$T/err"; rc=$?
$PY - "$BROKERS" "$T/g" >"$T/chk" <<'X'
import json, sys
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1].split(","), group_id="lagg",
                  enable_auto_commit=False, api_version=(2, 5, 0))
tps = [TopicPartition("m3", p) for p in range(3)]
end = c.end_offsets(tps)
py = {tp.partition: (c.committed(tp), end[tp],
                     end[tp] - c.committed(tp) if c.committed(tp) is not None else None)
      for tp in tps}
c.close()
lines = [json.loads(l) for l in open(sys.argv[2])]
km = {l["partition"]: (l["committed"], l["high"], l["lag"])
      for l in lines if l["type"] == "group_partition" and l["topic"] == "m3"}
g = [l for l in lines if l["type"] == "group"]
print(km == py, km, g[0]["lag"] if g else None, lines[-1]["type"])
X
is "-G lagg: committed, high and lag per partition as kafka-python has them (committed/end_offsets); no commit: null, null lag; the group line last, lag 33" \
    "$rc $(cat "$T/chk")" \
    "0 True {0: (12, 30, 18), 1: (5, 20, 15), 2: (None, 0, None)} 33 group"
kmeta -b "$BROKERS" -G lagg --table >"$T/gt"
is "  ... as a table" "$(sed -n 2p "$T/gt" | tr -s ' ') / $(tail -1 "$T/gt")" \
    "m3 0 12 0 30 18 / group lagg: 2 of 3 partitions committed, lag 33"
is "  ... without -t only the topics the group committed in (m3)" \
    "$(grep -c '"topic":"m1"' "$T/g") $(grep -c '"topic":"m3"' "$T/g")" "0 3"
# A live member: kmeta reading its group must not start a rebalance.
kcons -b "$BROKERS" -t m1 -G live -v >/dev/null 2>"$T/live.err" & lp=$!
PIDS+=("$lp")
wait_for 30 grep -q '^kcons: assigned: m1\[0\]' "$T/live.err"
for i in 1 2 3; do kmeta -b "$BROKERS" -G live -t m1 >/dev/null; done
sleep 1
is "-G on a group with a live member, three times: no rebalance (the member was assigned once, never revoked)" \
    "$(grep -cE '^kcons: (assigned|revoked):' "$T/live.err")" 1
kill -TERM "$lp"; wait "$lp"
c_before=$($PY -c '
import sys
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1].split(","), group_id="lagg", enable_auto_commit=False, api_version=(2, 5, 0))
print([c.committed(TopicPartition("m3", p)) for p in range(3)]); c.close()' "$BROKERS")
is "  ... and the commits of lagg are unchanged after kmeta -G read them" "$c_before" "[12, 5, None]"

# --- a reader that goes away; an unreachable cluster; usage errors
kmeta -b "$BROKERS" 2>"$T/err" | head -1 >"$T/first"
is "kmeta | head -1 (1500 partitions): exit 0, nothing on stderr, the first line" \
    "${PIPESTATUS[0]}:$(cat "$T/err"):$(cut -c1-17 "$T/first")" '0::{"type":"cluster"'
kmeta -b "$BROKERS" -t big --table 2>"$T/err" | head -2 >/dev/null
is "kmeta --table | head -2: exit 0, nothing on stderr" "${PIPESTATUS[0]}:$(cat "$T/err")" "0:"
t0=$(date +%s)
kmeta -b 127.0.0.1:1 --timeout 2 >/dev/null 2>"$T/err"; rc=$?
is "no broker at the address: exit 69 within the timeout, one line" \
    "$rc $(($(date +%s) - t0 <= 5)) $(wc -l <"$T/err") $(grep -c '^kmeta: no metadata from the bootstrap servers 127.0.0.1:1 within 2000 ms' "$T/err")" \
    "69 1 1 1"
usage() {	# usage WANT ARGS...: exit 64 and exactly the line WANT
	local want=$1 rc; shift
	kmeta -b "$BROKERS" "$@" >/dev/null 2>"$T/err"; rc=$?
	is "usage: kmeta $*: 64, one line" "$rc $(cat "$T/err")" "64 kmeta: $want"
}
usage "-Q needs -t TOPIC:PARTITION:MS, or -o s@MS" -Q
usage "-Q needs -t TOPIC:PARTITION:MS, or -o s@MS" -Q -t m3
usage "-Q, -G and --check are separate jobs: use one" -Q -G g -t m3:0:-1
usage "-t m3:x:1: expected TOPIC:PARTITION:MS, MS milliseconds since the epoch, -1 (end) or -2 (beginning)" -Q -t m3:x:1
usage "-t m3:0:1 is for -Q" -t m3:0:1
usage "-o s@MS is for -Q" -o s@5
usage "-o 5: expected s@MS, MS milliseconds since the epoch" -Q -o 5
usage "--timeout 0: expected seconds such as 30 or 0.5, from 0.001 to 3600" --timeout 0
usage "extra: not an option; topics go with -t" extra
KAFKA_BROKERS=$BROKERS kmeta -t m1 >"$T/out"; rc=$?
is "\$KAFKA_BROKERS when -b is absent" "$rc $(grep -c '"type":"partition"' "$T/out")" "0 1"

# --- --check, the fine case: every broker answers where it says
kmeta -b "$BROKERS" --check >"$T/ck" 2>"$T/err"; rc=$?
is "--check on loopback kmock: exit 0, nothing on stderr, one ok line per broker (and per bootstrap server)" \
    "$rc:$(cat "$T/err"):$(grep -c '"type":"broker_check".*"ok":true' "$T/ck"):$(grep -c '"type":"bootstrap_check".*"ok":true' "$T/ck")" \
    "0::3:3"

# --- --check, the EC2 case: the brokers live in a network namespace of
# their own and advertise 127.0.0.1:PORT there; from here they are
# reached only through a forwarded port (tests/cli/nsforward.py).  The
# bootstrap connect works; the advertised addresses do not.
if ! unshare --net true 2>/dev/null; then
	skip "--check in a network namespace: unshare --net is not allowed here"
	done_testing
fi
unshare --net sh -c 'ip link set lo up && exec "$0" "$@"' \
    "$(command -v kmock)" -t q:2 >"$T/ns.out" 2>"$T/ns.err" &
NSPID=$!
PIDS+=("$NSPID")
wait_for 10 test -s "$T/ns.out" || { echo "# kmock in the namespace did not start"; cat "$T/ns.err"; exit 1; }
INNER=$(head -1 "$T/ns.out")
B1=${INNER%%,*}
$PY "$QP_ROOT/tests/cli/nsforward.py" --ns-pid "$NSPID" --target "$B1" \
    --port-file "$T/fwd.port" 2>"$T/fwd.err" &
PIDS+=("$!")
wait_for 10 test -s "$T/fwd.port" || { echo "# the forwarder did not start"; cat "$T/fwd.err"; exit 1; }
FWD=127.0.0.1:$(cat "$T/fwd.port")
echo "# inside the namespace: $INNER; forwarded: $FWD -> $B1"
# From here the inner ports must be closed for the test to mean anything.
if kmeta -b "$B1" --timeout 1 >/dev/null 2>&1; then
	skip "--check in a namespace: $B1 answers here too (a port taken on the host)"
	done_testing
fi
echo hello | timeout 30 kcat -P -b "$FWD" -t q -p 0 -X message.timeout.ms=3000 \
    >/dev/null 2>"$T/kcat.err"; rc=$?
is "the set-up reproduces the problem: kcat -P through the forwarded bootstrap fails (connect refused at an advertised address)" \
    "$rc $(grep -c 'Delivery failed' "$T/kcat.err") $(grep -c "Connect to ipv4#127.0.0.1:[0-9]* failed: Connection refused" "$T/kcat.err" | sed 's/^[1-9][0-9]*$/y/')" \
    "1 1 y"
t0=$(date +%s)
kmeta -b "$FWD" --check --timeout 2 >"$T/ck" 2>"$T/err"; rc=$?
sed 's/^/# /' "$T/err"
is "--check through the forwarded port: exit 69, within the timeouts" \
    "$rc $(($(date +%s) - t0 <= 10))" "69 1"
b1port=${B1##*:}
grep_file "  ... says broker 1, its advertised address, that it does not answer, and what to set" \
    "^kmeta: broker 1 advertises $B1, which does not answer from here \(connection refused\), while the bootstrap server $FWD did: clients reach the bootstrap and then fail\..* Set on the broker: advertised\.listeners=PLAINTEXT://HOST:PORT" "$T/err"
is "  ... one such line for each of the 3 brokers, and the forwarded port named as the cause" \
    "$(grep -c 'advertised.listeners=PLAINTEXT://' "$T/err") $(grep -c 'through a forwarded port' "$T/err")" "3 3"
is "  ... on stdout: the bootstrap ok, each broker unreachable" \
    "$(grep -c '"type":"bootstrap_check".*"ok":true' "$T/ck") $(grep -c '"type":"broker_check".*"problem":"unreachable","error":"connection refused"' "$T/ck")" \
    "1 3"
kmeta -b "$FWD" --check --table --timeout 2 >"$T/ckt" 2>/dev/null
grep_file "  ... --table: one row per broker" "^broker 1 +$B1 +- +connection refused$" "$T/ckt"
kmeta -b "$FWD" -t q --timeout 2 >/dev/null 2>"$T/err"; rc=$?
is "the listing there: metadata read, offsets time out: exit 69, pointing at --check" \
    "$rc $(grep -c 'kmeta --check tells' "$T/err")" "69 1"

# --- the same brokers reached at a private address, as from another
# machine: a veth pair into the namespace (10.231.N.0/30, host side .1),
# a forwarder inside it on .2.  The bootstrap server is not a loopback
# address, while the brokers advertise 127.0.0.1.
VH=kmh$$ VN=kmn$$ NET=10.231.$((RANDOM % 250))
trap 'ip link del "$VH" 2>/dev/null; cleanup' EXIT
if ip link add "$VH" type veth peer name "$VN" 2>"$T/veth.err" &&
    ip link set "$VN" netns "$NSPID" && ip addr add "$NET.1/30" dev "$VH" &&
    ip link set "$VH" up &&
    nsenter --net="/proc/$NSPID/ns/net" sh -c "ip addr add $NET.2/30 dev $VN && ip link set $VN up"; then
	nsenter --net="/proc/$NSPID/ns/net" $PY "$QP_ROOT/tests/cli/nsforward.py" --ns-pid "$NSPID" \
	    --listen "$NET.2" --target "$B1" --port-file "$T/fwd2.port" 2>"$T/fwd2.err" &
	PIDS+=("$!")
	wait_for 10 test -s "$T/fwd2.port" || { echo "# the inner forwarder did not start"; cat "$T/fwd2.err"; exit 1; }
	PRIV=$NET.2:$(cat "$T/fwd2.port")
	kmeta -b "$PRIV" --check --timeout 2 >"$T/ck" 2>"$T/err"; rc=$?
	sed 's/^/# /' "$T/err"
	is "--check with the bootstrap at a private address ($PRIV), brokers advertising 127.0.0.1: exit 69" "$rc" 69
	grep_file "  ... says the advertised address is a loopback one, and what to set" \
	    "^kmeta: broker 1 advertises $B1, which does not answer from here \(connection refused\), while the bootstrap server $PRIV did: clients reach the bootstrap and then fail\. 127\.0\.0\.1 is a loopback address: to a client it means the client's own machine\. Set on the broker: advertised\.listeners=PLAINTEXT://HOST:PORT" "$T/err"
else
	skip "--check from a private address: no veth pair here ($(head -1 "$T/veth.err"))"
fi
done_testing
