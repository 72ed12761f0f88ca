#!/usr/bin/python3
"""readcheck.py - the Python side of tests/cli/s3put-readers.sh: its
input, and s3put's objects read back by Python's gzip module and pandas.

  readcheck.py gen OUT HOSTILE_FIXTURE   the input (32 MiB, 150000 lines)
  readcheck.py split INPUT ACKS KEYS DIR  DIR/NNN.jsonl: each object's lines
  readcheck.py gzip DIR ENDPOINT BUCKET   gzip.open, and botocore + gzip.decompress
  readcheck.py pandas DIR                 pd.read_json(lines=True, compression='gzip')
  readcheck.py members FILE...            how many gzip members each file holds
  readcheck.py multimember IN OUT SIZE    IN gzip'd as one member per SIZE bytes

gen: invented quote-like records (not market data: random prices, volumes
and a random 64-character trace, so that the objects compress only about
2.6:1 and one of the whole input spans several 5 MiB parts), with hostile
but valid JSON objects among them: every 500th line from the first, and the last;
escapes (\\u2028, \\u2029, \\", \\\\, \\/, \\b to \\t, \\u0000, surrogate
pairs), the same characters raw in UTF-8 (a raw U+2028 is a line end to
Python's str.splitlines()), a BOM and U+FFFF inside strings, spaces
around tokens and around the line, nesting, a string holding JSON lines,
empty strings; the object lines of tests/fixtures/hostile.jsonl (1e1000,
-1e1000, a duplicate key), but its line 2, whose integer 1e20 pandas 1.5
refuses ("Value is too big!": its parser takes integers up to 2^64-1, a
limit of the reader, not of s3put); and three lines of 700 KB of escapes
and multi-byte characters, which straddle any 1 MiB chunking of the
input.  The same bytes every run (random.Random(7)).

split: the lines of INPUT cut into the objects of KEYS (s3_keys: key
order), each as many records as its ack says; fails unless KEYS are the
acked keys and the acks' records add up to INPUT's lines.

gzip and pandas compare DIR/NNN.gz (the object as downloaded) with
DIR/NNN.jsonl (its input lines) and DIR/keys: gzip byte for byte, pandas
as values (json.loads of each input line against the row: every field it
has of name, symbol, seq, current_price, change, volume, trace; floats to
1e-15, pandas's parser not being correctly rounded).  Each prints one
line per problem and "objects N ok M".
"""
import gzip
import json
import math
import os
import random
import sys
import zlib

HOSTILE = [
    r'{"name":"line\u2028sep\u2029para","symbol":"LS\u2028","current_price":1.5,"seq":SEQ}',
    '{"name":"raw \u2028 and \u2029 in UTF-8","symbol":"RAW\u2028","current_price":2.25,"seq":SEQ}',
    r'{"name":"quote \" backslash \\ slash \/ ctl \b\f\n\r\t","symbol":"ESC\"","current_price":3,"seq":SEQ}',
    r'{"name":"nul \u0000 us \u001f del \u007f","symbol":"CTL","current_price":4.0,"seq":SEQ}',
    r'{"name":"surrogates \ud83d\ude00 \uD834\uDD1E","symbol":"SUR","current_price":-0.0,"seq":SEQ}',
    '{"name":"raw \U0001F600 \U0001D11E caf\u00e9 \u03a9 \u6f22\u5b57 \u0639\u0631\u0628\u0649 '
    '\u05e2\u05d1\u05e8\u05d9\u05ea e\u0301","symbol":"UTF\u00e9","current_price":1e-7,"seq":SEQ}',
    '{"name":"bom \ufeff and nonchar \uffff","symbol":"BOM","current_price":1E+2,"seq":SEQ}',
    '  {"seq" : SEQ , "symbol" : "SPC" , "name" : "spaces around tokens" , "current_price" : 12.5e3 }  ',
    r'{"name":"nested","symbol":"NEST","current_price":0.1,"seq":SEQ,"a":[[1,[2,[3,[]]]],{},[{"b":[[]]}]],"t":true,"f":false,"z":null}',
    r'{"name":"{\"not\":\"json\"}\n{\"seq\":0}","symbol":"INJ","current_price":5,"seq":SEQ}',
    r'{"name":"","symbol":"","current_price":0,"seq":SEQ,"volume":0,"trace":"\u0041\u00DF\u6771"}',
]
LONG_UNIT = r'\u2028\"' + '\u00e9\U0001F600 \u6f22' + r'\\ \ud83d\ude00 \u0000 '
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
FIELDS = ("name", "symbol", "seq", "current_price", "change", "volume", "trace")


def gen(out, fixture):
    with open(fixture, "rb") as f:
        fixed = [l for i, l in enumerate(f.read().split(b"\n"))
                 if l.strip().startswith(b"{") and i != 1]
    r = random.Random(7)
    lines = []
    hostile = 0
    for i in range(150000):
        if i % 500 == 0 or i == 149999:
            k = hostile % (len(HOSTILE) + len(fixed))
            hostile += 1
            if k < len(HOSTILE):
                lines.append(HOSTILE[k].replace("SEQ", str(i)).encode())
            else:
                lines.append(fixed[k - len(HOSTILE)])
        elif i in (20001, 70001, 120001):
            lines.append(('{"name":"%s","symbol":"LONG","current_price":7.5,"seq":%d}'
                          % (LONG_UNIT * 17000, i)).encode())
        else:
            s = i % 50
            lines.append(('{"name":"Index %d","symbol":"SYM-%04d","current_price":%d.%02d,'
                          '"change":%s%d.%03d,"volume":%d,"seq":%d,"trace":"%s","country":{"code":"C%02d"}}'
                          % (s, s, 1000 + r.randrange(90000), r.randrange(100), r.choice(("", "-")),
                             r.randrange(10), r.randrange(1000), r.randrange(10 ** 9), i,
                             "".join(r.choices(ALNUM, k=64)), i % 7)).encode())
    for l in lines:
        json.loads(l)
    with open(out, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")


def split(inp, acks, keys, d):
    with open(inp, "rb") as f:
        lines = f.read().split(b"\n")[:-1]
    with open(acks) as f:
        records = {}
        for l in f:
            a = json.loads(l)
            records[a["key"]] = a["records"]
    with open(keys) as f:
        ks = f.read().split()
    if sorted(ks) != sorted(records):
        sys.exit("split: the keys listed are not the keys acked: %s / %s" % (ks, sorted(records)))
    if sum(records.values()) != len(lines):
        sys.exit("split: the acks hold %d records, the input %d lines" % (sum(records.values()), len(lines)))
    os.makedirs(d, exist_ok=True)
    at = 0
    for n, k in enumerate(ks):
        with open(os.path.join(d, "%03d.jsonl" % n), "wb") as f:
            f.write(b"".join(l + b"\n" for l in lines[at:at + records[k]]))
        at += records[k]
    with open(os.path.join(d, "keys"), "w") as f:
        f.write("".join(k + "\n" for k in ks))


def objects(d):
    with open(os.path.join(d, "keys")) as f:
        ks = f.read().split()
    for n, k in enumerate(ks):
        with open(os.path.join(d, "%03d.jsonl" % n), "rb") as f:
            yield n, k, os.path.join(d, "%03d.gz" % n), f.read()


def read_gzip(d, endpoint, bucket):
    import botocore.session
    s3 = botocore.session.get_session().create_client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER")
    total = good = 0
    for n, k, gz, want in objects(d):
        total += 1
        try:
            with gzip.open(gz, "rb") as f:
                a = f.read()
        except (OSError, EOFError, zlib.error) as e:
            print("%s: gzip.open of the downloaded file: %s: %s" % (k, type(e).__name__, e))
            continue
        try:
            b = gzip.decompress(s3.get_object(Bucket=bucket, Key=k)["Body"].read())
        except (OSError, EOFError, zlib.error) as e:
            print("%s: botocore get_object + gzip.decompress: %s: %s" % (k, type(e).__name__, e))
            continue
        if a != want:
            print("%s: gzip.open of the downloaded file: %d bytes, want %d" % (k, len(a), len(want)))
        elif b != want:
            print("%s: botocore get_object + gzip.decompress: %d bytes, want %d" % (k, len(b), len(want)))
        else:
            good += 1
    print("objects %d ok %d" % (total, good))


def same(got, want):
    if want is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        return isinstance(got, (int, float)) and (got == want or math.isclose(got, want, rel_tol=1e-15))
    return got == want


def read_pandas(d):
    import pandas as pd
    total = good = 0
    for n, k, gz, want in objects(d):
        total += 1
        exp = [json.loads(l) for l in want.split(b"\n")[:-1]]
        try:
            df = pd.read_json(gz, lines=True, compression="gzip")
        except (ValueError, OSError, EOFError, zlib.error) as e:
            print("%s: pandas: %s: %s" % (k, type(e).__name__, e))
            continue
        rows = df.to_dict("records")
        bad = [] if len(rows) == len(exp) else ["%d rows, want %d" % (len(rows), len(exp))]
        for i, (g, e) in enumerate(zip(rows, exp)):
            for f in FIELDS:
                if len(bad) < 5 and not same(g.get(f), e.get(f)):
                    bad.append("row %d %s: %r, want %r" % (i, f, g.get(f), e.get(f))[:300])
        if bad:
            print("%s: %s" % (k, "; ".join(bad)))
        else:
            good += 1
    print("objects %d ok %d" % (total, good))


def members(paths):
    counts = []
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        n = 0
        while data and n < 1000000:	# each pass eats one member
            z = zlib.decompressobj(wbits=31)
            try:
                z.decompress(data)
            except zlib.error as e:
                sys.exit("%s: member %d: %s" % (p, n + 1, e))
            if not z.eof:
                sys.exit("%s: member %d is cut short" % (p, n + 1))
            n += 1
            data = z.unused_data
        counts.append(str(n))
    print(" ".join(counts))


def multimember(inp, out, size):
    with open(inp, "rb") as f:
        data = f.read()
    with open(out, "wb") as f:
        for i in range(0, len(data), size):
            f.write(gzip.compress(data[i:i + size], 6))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gen":
        gen(*args)
    elif cmd == "split":
        split(*args)
    elif cmd == "gzip":
        read_gzip(*args)
    elif cmd == "pandas":
        read_pandas(*args)
    elif cmd == "members":
        members(args)
    elif cmd == "multimember":
        multimember(args[0], args[1], int(args[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
