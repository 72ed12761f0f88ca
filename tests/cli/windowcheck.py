#!/usr/bin/python3
"""windowcheck.py - quote-window's bars against pandas (the original
project's library, Debian's python3-pandas).

  windowcheck.py gen N SYMBOLS LATENESS_S OUT     invented quotes, out of order
  windowcheck.py check IN BARS SIZE_S SLIDE_S      bars == pandas's, per symbol
  windowcheck.py top IN OUT SIZE_S N               --top N's movers == pandas's
  windowcheck.py alerts IN OUT SIZE_S PCT          --alert '.pct_change > PCT'

gen writes N quotes over SYMBOLS symbols (invented values: random walks)
with event times a few hundred ms apart, many equal to the millisecond,
in four spellings (ISO with +00:00, with Z, "YYYY-MM-DD HH:MM:SS.fff"
without a zone, epoch milliseconds), and writes them in arrival order:
each arrives as if delayed by up to LATENESS_S, so none is late.

check computes, per symbol, resample(SIZE).ohlc() and count, mean and
std(ddof=0) of the prices sorted by event time then arrival (pandas keeps
that order for equal times, as quote-window's open and close do); a
hopping window of SIZE every SLIDE is the union of SIZE/SLIDE resamples
offset by SLIDE.  Every bar must match (count, open, high, low, close
exactly; mean and stddev within 1e-9 relative), and no bar may be
missing or extra.  Prints a summary; exits 1 with the first differences.

top ranks each window's symbols by the absolute percent change of
pandas's close against its open (equal ones by symbol) and compares the
first N with the movers of quote-window's "top" line for the window.

alerts expects an alert for a symbol's bar exactly where pandas's percent
change goes above PCT and the symbol's bar before it (if any) was not.
"""
import json
import random
import sys

import pandas as pd


def gen(n, nsym, lateness, out):
    rnd = random.Random(20231203)
    t0 = pd.Timestamp("2023-05-12T13:30:00Z").value // 10**6  # ms
    price = [1000 + 37 * i for i in range(nsym)]
    recs, t = [], t0
    for i in range(n):
        if rnd.random() < 0.7:
            t += rnd.randrange(0, 400)
        s = rnd.randrange(nsym)
        price[s] = max(1, price[s] + rnd.randrange(-50, 51))
        recs.append((t, s, price[s] / 100 + 0.0, i))
    arrival = sorted(recs, key=lambda r: r[0] + rnd.random() * lateness * 1000)
    with open(out, "w") as f:
        for t, s, p, i in arrival:
            ts = pd.Timestamp(t, unit="ms", tz="UTC")
            form = i % 4
            if form == 0:
                tv = ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+00:00"
            elif form == 1:
                tv = ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            elif form == 2:
                tv = ts.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
            else:
                tv = t
            f.write(json.dumps({"symbol": "SYM-%03d" % s, "name": "Index %d" % s,
                                "current_price": p, "last_updated": tv, "seq": i},
                               separators=(",", ":")) + "\n")


def parse_time(v):
    if isinstance(v, (int, float)):
        return pd.Timestamp(v, unit="ms", tz="UTC")
    ts = pd.Timestamp(v)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def expected(infile, size, slide):
    rows = []
    with open(infile) as f:
        for arrival, line in enumerate(f):
            r = json.loads(line)
            rows.append((r["symbol"], parse_time(r["last_updated"]), r["current_price"], arrival))
    df = pd.DataFrame(rows, columns=["symbol", "t", "price", "arrival"])
    df = df.sort_values(["t", "arrival"], kind="stable").set_index("t")
    want = {}
    for k in range(size // slide):
        off = pd.Timedelta(seconds=k * slide)
        g = df.groupby("symbol")["price"].resample("%ds" % size, offset=off, origin="epoch")
        ohlc = g.ohlc()
        agg = pd.concat([ohlc, g.count().rename("count"), g.mean().rename("mean"),
                         g.std(ddof=0).rename("stddev")], axis=1)
        for (sym, start), row in agg.iterrows():
            if row["count"] == 0:
                continue  # resample fills the gaps between windows
            want[(sym, start.strftime("%Y-%m-%dT%H:%M:%SZ"))] = row
    return want


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def check(infile, barsfile, size, slide):
    want = expected(infile, size, slide)
    got = {}
    with open(barsfile) as f:
        for line in f:
            b = json.loads(line)
            if b.get("type") != "bar":
                continue
            key = (b["symbol"], b["window_start"])
            if key in got:
                print("a bar twice: %s %s" % key)
                return 1
            got[key] = b
    bad = []
    for key in sorted(set(want) | set(got)):
        if key not in got:
            bad.append("missing: %s %s" % key)
            continue
        if key not in want:
            bad.append("extra: %s %s" % key)
            continue
        w, g = want[key], got[key]
        for f in ("count", "open", "high", "low", "close"):
            if g[f] != w[f]:
                bad.append("%s %s %s: got %r, pandas %r" % (key + (f, g[f], w[f])))
        for f in ("mean", "stddev"):
            if not close(g[f], w[f]):
                bad.append("%s %s %s: got %r, pandas %r" % (key + (f, g[f], w[f])))
    print("%d bars, %d from pandas, %d differences" % (len(got), len(want), len(bad)))
    for b in bad[:10]:
        print("  " + b)
    return 1 if bad else 0


def top(infile, outfile, size, n):
    want = expected(infile, size, size)
    ranked = {}
    for (sym, start), row in want.items():
        if row["open"] == 0:
            continue
        pct = (row["close"] - row["open"]) / row["open"] * 100
        ranked.setdefault(start, []).append((-abs(pct), sym, pct))
    got = {}
    with open(outfile) as f:
        for line in f:
            t = json.loads(line)
            if t.get("type") == "top":
                got[t["window_start"]] = t["movers"]
    bad = []
    for start in sorted(set(ranked) | set(got)):
        w = sorted(ranked.get(start, []))[:n]
        g = got.get(start)
        if g is None:
            bad.append("%s: no top line" % start)
            continue
        if [x[1] for x in w] != [m["symbol"] for m in g]:
            bad.append("%s: got %s, pandas %s" % (start, [m["symbol"] for m in g], [x[1] for x in w]))
            continue
        for x, m in zip(w, g):
            if not close(x[2], m["pct_change"]):
                bad.append("%s %s: pct_change %r, pandas %r" % (start, x[1], m["pct_change"], x[2]))
    print("%d top lines, %d windows from pandas, %d differences" % (len(got), len(ranked), len(bad)))
    for b in bad[:10]:
        print("  " + b)
    return 1 if bad else 0


def alerts(infile, outfile, size, pct):
    want = expected(infile, size, size)
    bysym = {}
    for (sym, start), row in want.items():
        p = (row["close"] - row["open"]) / row["open"] * 100 if row["open"] else None
        bysym.setdefault(sym, []).append((start, p))
    exp = set()
    for sym, bars in bysym.items():
        on = False
        for start, p in sorted(bars):
            now = p is not None and p > pct
            if now and not on:
                exp.add((sym, start))
            on = now
    got = set()
    with open(outfile) as f:
        for line in f:
            a = json.loads(line)
            if a.get("type") == "alert":
                got.add((a["symbol"], a["window_start"]))
    print("%d alerts, %d crossings from pandas, %d missing, %d extra" %
          (len(got), len(exp), len(exp - got), len(got - exp)))
    return 0 if got == exp else 1


if __name__ == "__main__":
    if sys.argv[1] == "alerts":
        sys.exit(alerts(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])))
    if sys.argv[1] == "top":
        sys.exit(top(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
