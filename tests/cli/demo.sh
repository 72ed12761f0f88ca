# make demo's script, as CI runs it: the whole flow on embedded defaults.
. "$QP_ROOT/tests/lib.sh"
# Its work directory under $T: the leftovers looked for below are this
# run's, not those of another demo on the machine (a second make check).
TMPDIR=$T "$QP_ROOT/examples/demo.sh" "$QP_BIN" >"$T/out" 2>"$T/err"; rc=$?
is "examples/demo.sh exits 0" "$rc" 0
grep_file "  ... the producer side sends six cleaned quotes once, not twice" "Kafka holds 6 cleaned quotes" "$T/out"
grep_file "  ... the consumer side stores them all in S3" "how many rows: 6" "$T/out"
grep_file "  ... the top mover is found from S3" "Nikkei 225 \(N225-JPN, Japan\): 0.9%" "$T/out"
grep_file "  ... and the Athena table is printed" "storage.location.template'='s3://lake/quotes/dt=\\$\\{dt\\}/'" "$T/out"
is "  ... the analytics consumer: a minute's bars of six symbols, twelve quotes each, twice" \
    "$(grep -cE '^     21:1[56]  [A-Z0-9]+-[A-Z]+ +12 ' "$T/out")" 12
grep_file "  ... the top movers of each minute" "21:16  UKX-GBR -0.58%, DAX-DEU 0.36%, COMP-USA 0.22%" "$T/out"
grep_file "  ... an alert once" "21:16  DAX-DEU: 0.36%" "$T/out"
grep_file "  ... the bars in S3 too, with their Athena table" "storage.location.template'='s3://lake/bars/dt=\\$\\{dt\\}/'" "$T/out"
is "  ... nothing left on stderr but the tools' own notes" "$(grep -c 'analytics: ' "$T/err")" 0
is "  ... and nothing it started is left running" \
    "$(pgrep -f "$T/quotepipe-demo" | wc -l)" 0
done_testing
