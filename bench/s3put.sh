#!/bin/bash
# bench/s3put.sh [BIN_DIR] - s3put against gzip -6 and gzip -1, and its peak memory.
#
# 1 GB of quote JSON lines (invented values, CNN's shape) through s3put
# into s3rver on 127.0.0.1, side by side in one run with `gzip -6 -c` and
# `gzip -1 -c` (and `pigz -6 -c` if installed) into /dev/null on the same
# file: RUNS alternating runs (run 1 of each command in turn, then run 2
# of each, ...), medians per command.  One table gives each command's
# median seconds, MB/s (MB = 2^20 bytes), compression ratio (input bytes /
# compressed bytes: gzip's output measured once, untimed; s3put's the sum
# of its acks' "bytes", checked against what s3rver holds), its rate
# relative to gzip -6 and the verdict against the compressor issue's
# targets (zlib -> libdeflate, parallel chunks):
#   s3put (default level 6)   >= 2.5 x gzip -6's rate, ratio >= gzip -6's
#   s3put --gzip-level 1      >= 6 x gzip -6's rate,   ratio >= gzip -1's
# ("ok", or "MISSED:" and which of rate and ratio missed).
# Peak RSS of s3put (both levels) is measured on 100 MB and 1 GB; the
# bound is 2 x part size + 32 MiB whatever the input size.  Last, one
# object of all the input (a streamed multipart upload), and one
# `result ...` line per command for notes to quote.  Each run also notes
# the CPU time other processes took meanwhile (/proc/stat less the command
# and s3rver) and the table warns if that was not negligible.
# RUNS=5 by default; GB_LINES=200000 makes a quick ~100 MB try.  Each
# s3put run stores under a fresh prefix, deleted from s3rver's directory
# once its acks are read, so the disk holds one run's objects at most.
# Needs `make deps` (s3rver in build/npm).
set -eu -o pipefail
export LC_ALL=C
BIN=$(cd "${1:-build/bin}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GB_LINES=${GB_LINES:-2000000}
RUNS=${RUNS:-5}
case $GB_LINES$RUNS in *[!0-9]*) echo "GB_LINES and RUNS are counts" >&2; exit 2 ;; esac
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 100 ] || [ "$GB_LINES" -lt 10 ]; then
	echo "RUNS: 1 to 100; GB_LINES: at least 10" >&2
	exit 2
fi
PART_MB=8	# s3put's default part size, passed explicitly so the bound below holds
BOUND_KB=$(( (2 * PART_MB + 32) * 1024 ))
W=$(mktemp -d /tmp/qp-s3bench.XXXXXX)
S3=
cleanup() {
	if [ -n "$S3" ]; then
		kill "$S3" 2>/dev/null || true
		wait "$S3" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
T0=$EPOCHREALTIME

quotes() {	# quotes N: N quote lines of ~530 bytes
	awk -v n="$1" 'BEGIN {
		split("Americas Asia-Pacific Europe", reg, " ")
		for (i = 0; i < n; i++) {
			s = i % 4000
			printf "{\"name\":\"Index %d\",\"symbol\":\"SYM-%04d\",\"current_price\":%d.%08d,\"prev_close_price\":%d.%07d,\"price_change_from_prev_close\":-%d.%014d,\"percent_change_from_prev_close\":-0.00%015d,\"prev_close_date\":\"2023-05-11\",\"sort_order_index\":%d,\"last_updated\":\"2023-05-12T21:16:%02d.%06d+00:00\",\"event_timestamp\":\"2023-05-12T21:16:26+00:00\",\"status\":\"UNKNOWN\",\"next_status\":\"UNKNOWN\",\"next_status_change\":\"2023-05-12T13:30:21.109002+00:00\",\"country\":{\"name\":\"Country %d\",\"code\":\"C%02d\",\"region\":\"%s\"},\"refresh_interval_in_seconds\":0}\n", s, s, 1000 + i % 9000, i % 100000000, 1000 + i % 9000, i % 10000000, i % 100, i, i, s % 77, i % 60, i % 1000000, s % 50, s % 50, reg[s % 3 + 1]
		}
	}'
}
quotes "$GB_LINES" >"$W/1g.jsonl"
head -n $((GB_LINES / 10)) "$W/1g.jsonl" >"$W/100m.jsonl"

mkdir -p "$W/s3"
NODE_OPTIONS=--openssl-legacy-provider "$ROOT/build/npm/node_modules/.bin/s3rver" -d "$W/s3" -a 127.0.0.1 -p 0 -s \
    --configure-bucket bench >"$W/s3rver.log" 2>&1 &
S3=$!
for _ in $(seq 100); do grep -q listening "$W/s3rver.log" && break; sleep 0.1; done
URL=http://$({ grep -oE '127\.0\.0\.1:[0-9]+' "$W/s3rver.log" || true; } | head -n 1)
[ "$URL" != http:// ] || { echo "s3rver did not start:" >&2; cat "$W/s3rver.log" >&2; exit 1; }
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_EC2_METADATA_DISABLED=true

calc() { awk "BEGIN { printf \"$1\", $2 }"; }	# calc FORMAT EXPR
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mb() { calc %.1f "$(wc -c <"$1") / 1048576"; }
IN_BYTES=$(wc -c <"$W/1g.jsonl")
IN_LINES=$(wc -l <"$W/1g.jsonl")
IN_MB=$(mb "$W/1g.jsonl")

# CPU ticks the machine spent busy, and s3rver's own (its part of s3put's runs).
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
s3rver_ticks() { sed 's/.*) //' "/proc/$S3/stat" | awk '{ print $12 + $13 }'; }
HZ=$(getconf CLK_TCK)
timed() {	# timed IN OUT CMD...: sets T (seconds), M (peak RSS, KB), C (its CPU seconds)
	local in=$1 out=$2 t0 t1 b0 b1 s0 s1; shift 2	# and F (other processes' CPU seconds)
	b0=$(busy_ticks) s0=$(s3rver_ticks)
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%M %U %S' -o "$W/time" "$@" <"$in" >"$out"
	t1=$EPOCHREALTIME
	b1=$(busy_ticks) s1=$(s3rver_ticks)
	T=$(calc %.3f "$t1 - $t0")
	read -r M C < <(tail -n 1 "$W/time" | awk '{ printf "%d %.2f\n", $1, $2 + $3 }')
	F=$(calc %.2f "($b1 - $b0 - ($s1 - $s0)) / $HZ - $C")
}
s3run=0
s3put_run() {	# s3put_run IN LINES ARGS...: sets T, M, N (objects) and B (bytes stored)
	local in=$1 lines=$2 pfx records held; shift 2
	s3run=$((s3run + 1)); pfx=r$s3run
	timed "$in" "$W/acks" "$BIN/s3put" --endpoint "$URL" --part-size ${PART_MB}M "$@" "s3://bench/$pfx/"
	N=$(wc -l <"$W/acks")
	records=$(jq -s 'map(.records) | add' "$W/acks")
	B=$(jq -s 'map(.bytes) | add' "$W/acks")
	held=$(find "$W/s3/bench/$pfx" -name '*._S3rver_object' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	if [ "$records" != "$lines" ] || [ "$held" != "$B" ]; then
		echo "s3put run $pfx: acked $records records of $lines, $B bytes; s3rver holds $held" >&2
		exit 1
	fi
	rm -rf "${W:?}/s3/bench/$pfx"
}

# The commands, in the order each round runs them.
CMDS="gzip-6 gzip-1"
command -v pigz >/dev/null && CMDS="$CMDS pigz-6"
CMDS="$CMDS s3put s3put-l1"
label() {
	case $1 in
	gzip-6) echo 'gzip -6 -c >/dev/null' ;;
	gzip-1) echo 'gzip -1 -c >/dev/null' ;;
	pigz-6) echo 'pigz -6 -c >/dev/null' ;;
	s3put) echo 's3put to s3rver' ;;
	s3put-l1) echo 's3put --gzip-level 1 to s3rver' ;;
	esac
}
run_cmd() {	# run_cmd NAME: appends "seconds peakRSS_KB compressed_bytes CPU_s others'_CPU_s" to $W/t.NAME
	case $1 in
	gzip-[0-9] | pigz-[0-9])
		timed "$W/1g.jsonl" /dev/null "${1%-*}" "-${1#*-}" -c
		B=$(cat "$W/z.$1") ;;
	s3put) s3put_run "$W/1g.jsonl" "$IN_LINES" ;;
	s3put-l1) s3put_run "$W/1g.jsonl" "$IN_LINES" --gzip-level 1 ;;
	esac
	echo "$T $M $B $C $F" >>"$W/t.$1"
	case $1 in s3put*) echo "$N" >"$W/objects.$1" ;; esac
}

echo "machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*: *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "versions: $(gzip --version | head -n 1)$(command -v pigz >/dev/null && echo ", $(pigz --version 2>&1 | head -n 1)"), s3rver $(jq -r .version "$ROOT/build/npm/node_modules/s3rver/package.json")"
echo "          $("$BIN/s3put" --version)"
echo "data: $IN_LINES lines, $IN_MB MB ($IN_BYTES bytes), $((GB_LINES / 10)) lines / $(mb "$W/100m.jsonl") MB for memory;" \
    "s3put's defaults (level 6, 100000-record objects, ${PART_MB}M parts)"

# Compressed sizes of the programs, once, untimed (this also reads the file into the page cache).
for c in $CMDS; do
	case $c in gzip-* | pigz-*) "${c%-*}" "-${c#*-}" -c <"$W/1g.jsonl" | wc -c >"$W/z.$c" ;; esac
done
for r in $(seq "$RUNS"); do
	printf 'round %d/%d:' "$r" "$RUNS"
	for c in $CMDS; do
		run_cmd "$c"
		printf ' %s %ss' "$c" "$(tail -n 1 "$W/t.$c" | cut -d' ' -f1)"
	done
	echo
done

col() { cut -d' ' -f"$2" "$W/t.$1"; }	# col NAME N: column N of every run of NAME
for c in $CMDS; do
	col "$c" 1 | median >"$W/med.$c"
	col "$c" 3 | median >"$W/bytes.$c"
	col "$c" 4 | median >"$W/cpu.$c"
done
G6=$(cat "$W/med.gzip-6")
verdict() {	# verdict NAME: "target verdict", from unrounded figures
	local want ref
	case $1 in
	s3put) want=2.5 ref=gzip-6 ;;
	s3put-l1) want=6 ref=gzip-1 ;;
	*) echo "- -"; return ;;
	esac
	# ratio >= ref's ratio is: stored bytes <= ref's compressed bytes
	printf '>=%sx,ratio>=%.3f %s\n' "$want" "$(calc %.6f "$IN_BYTES / $(cat "$W/bytes.$ref")")" \
	    "$(awk -v g6="$G6" -v t="$(cat "$W/med.$1")" -v w="$want" -v b="$(cat "$W/bytes.$1")" \
	    -v rb="$(cat "$W/bytes.$ref")" 'BEGIN {
		m = g6 / t < w ? "rate" : ""
		if (b > rb) m = m (m == "" ? "" : "+") "ratio"
		print m == "" ? "ok" : "MISSED:" m
	}')"
}

echo
echo "medians of $RUNS alternating runs on $IN_MB MB:"
printf '%-32s %8s %11s %8s %7s %9s  %-22s %s\n' command 'median s' 'min-max s' 'MB/s' ratio 'x gzip-6' target verdict
for c in $CMDS; do
	t=$(cat "$W/med.$c")
	mbps=$(calc %.1f "$IN_BYTES / 1048576 / $t")
	ratio=$(calc %.3f "$IN_BYTES / $(cat "$W/bytes.$c")")
	x=$(calc %.2f "$G6 / $t")
	read -r target v < <(verdict "$c")
	range="$(col "$c" 1 | sort -g | head -n 1)-$(col "$c" 1 | sort -g | tail -n 1)"
	printf '%-32s %8.2f %11s %8s %7s %9s  %-22s %s\n' "$(label "$c")" "$t" "$range" "$mbps" "$ratio" "$x" "$target" "$v"
	maxrss=$(col "$c" 2 | sort -g | tail -n 1)
	echo "result cmd=$c runs=$RUNS in_bytes=$IN_BYTES median_s=$t mbps=$mbps ratio=$ratio x_gzip6=$x" \
	    "stored_bytes=$(cat "$W/bytes.$c") cpu_s=$(cat "$W/cpu.$c") max_rss_kb=$maxrss target=$target verdict=$v" \
	    "times=$(col "$c" 1 | paste -sd,) other_cpu_s=$(col "$c" 5 | paste -sd,)" >>"$W/results"
done
# Other processes (neither the command nor s3rver) using over 5% of a
# core during a run (plus 0.05 s for the clock ticks' granularity) make
# its figures unclean on this 2-core machine.
busy=$(for c in $CMDS; do cat "$W/t.$c"; done | awk '$5 > 0.05 * $1 + 0.05 { n++ } END { print n + 0 }')
[ "$busy" = 0 ] || echo "  WARNING: in $busy of $(( $(echo "$CMDS" | wc -w) * RUNS )) runs other processes used" \
    "over 5% of a core (other_cpu_s below): the figures are not clean"
for c in s3put s3put-l1; do
	echo "  $(label "$c"): $(cat "$W/objects.$c") objects, $IN_LINES records, $(cat "$W/bytes.$c") bytes stored"
done

echo
echo "peak RSS of s3put (bound: 2 x $PART_MB MiB + 32 MiB = $BOUND_KB KB whatever the input size):"
within() { [ "$1" -le "$BOUND_KB" ] && echo ok || echo MISSED; }
for c in s3put s3put-l1; do
	case $c in s3put) lv= ;; *) lv="--gzip-level 1" ;; esac
	# shellcheck disable=SC2086 # $lv is empty or two words
	s3put_run "$W/100m.jsonl" $((GB_LINES / 10)) $lv
	m100=$M
	mg=$(col "$c" 2 | sort -g | tail -n 1)
	printf '  %-30s %6d KB on %s MB %-6s  %6d KB on %s MB (highest of %d runs) %s\n' "$(label "$c")" \
	    "$m100" "$(mb "$W/100m.jsonl")" "$(within "$m100")" "$mg" "$IN_MB" "$RUNS" "$(within "$mg")"
	echo "result cmd=$c-rss rss_100m_kb=$m100 rss_1g_kb=$mg bound_kb=$BOUND_KB verdict=$(within "$m100"),$(within "$mg")" >>"$W/results"
done

# One object of all the input: a streamed multipart upload of 8M parts.
echo
big="--max-records 100000000 --max-bytes 100G"
# shellcheck disable=SC2086 # $big is four words
s3put_run "$W/100m.jsonl" $((GB_LINES / 10)) $big
m100=$M
# shellcheck disable=SC2086
s3put_run "$W/1g.jsonl" "$IN_LINES" $big
tm=$T mm=$M bm=$B fm=$F
printf 'one object of it all (multipart, %d MB stored) %6.2f s %7s MB/s  ratio %s  %sx gzip -6 (one run)\n' \
    "$((bm / 1048576))" "$tm" "$(calc %.1f "$IN_BYTES / 1048576 / $tm")" "$(calc %.3f "$IN_BYTES / $bm")" \
    "$(calc %.2f "$G6 / $tm")"
echo "peak RSS, one object: $m100 KB on $(mb "$W/100m.jsonl") MB $(within "$m100"), $mm KB on $IN_MB MB $(within "$mm")" \
    "(bound $BOUND_KB KB)"
echo "result cmd=s3put-one-object runs=1 seconds=$tm mbps=$(calc %.1f "$IN_BYTES / 1048576 / $tm")" \
    "ratio=$(calc %.3f "$IN_BYTES / $bm") x_gzip6=$(calc %.2f "$G6 / $tm") stored_bytes=$bm" \
    "rss_100m_kb=$m100 rss_1g_kb=$mm bound_kb=$BOUND_KB verdict=$(within "$m100"),$(within "$mm") other_cpu_s=$fm" >>"$W/results"

echo
cat "$W/results"
echo "result cmd=bench runs_contended=$busy seconds=$(calc %.0f "$EPOCHREALTIME - $T0")"
