#!/usr/bin/python3
"""json_diff.py [--mutate N] VERDICT PATH... - the scanner against Python's json.

VERDICT is the json-verdict program (tests/fuzz/json_verdict.c); it is
run over the PATHs (files or directories, e.g. a fuzzing corpus and
JSONTestSuite's test_parsing) and its accept/reject for each input is
held against Python's strict reading of the same bytes:

  - the bytes must be UTF-8 (Python's strict codec, which also refuses
    encoded surrogates, as RFC 8259 and the scanner do); decoding them
    here keeps json.loads from guessing UTF-16/32 or skipping a BOM;
  - NaN, Infinity and -Infinity are refused (parse_constant), as RFC
    8259 has no such literals;
  - numbers are kept as text (parse_int/parse_float), so neither
    Python's limit on integer digits nor float overflow can decide.

Both sides accept \\u escapes of lone surrogates: RFC 8259's grammar
allows them (section 8.2 leaves their meaning open); the scanner says
so in lib/json.h and decodes them to U+FFFD.  Two differences are
limits, not disagreements, and are counted apart: the scanner refuses
nesting deeper than JSON_MAX_DEPTH (1024; RFC 8259 section 9 lets a
parser limit depth), and Python's recursion limit.  A difference on a
JSONTestSuite i_ case (implementation-defined) is shown, not counted;
a y_ case refused or an n_ case accepted by the scanner is a difference.
Any other difference is printed and the exit status is 1.

With --mutate N, N inputs more are made from the files by random
mutations (bytes changed, JSON tokens put in, ranges cut, copied or
spliced; a fixed seed, so a run can be repeated) and judged the same
way: libFuzzer keeps only inputs that reach new code, which is too few
for a differential on its own.
"""
import base64
import json
import os
import random
import subprocess
import sys

TOKENS = [b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b"\\u", b"\\ud800",
          b"\\udc00", b"\\u0000", b"true", b"false", b"null", b"NaN",
          b"Infinity", b"-", b"+", b"0", b"1", b".", b"e", b"E", b"1e999",
          b" ", b"\t", b"\n", b"\r", b"\x00", b"\x0c", b"\xc3\xa9", b"\xed\xa0\x80",
          b"\xf0\x9f\x98\x80", b"\xef\xbb\xbf", b"\xff", b"\xc0\xaf", b"\x7f"]


def mutants(pool, n, seed=8259):
    """n mutants of the inputs in pool, each at most 4096 bytes."""
    rnd = random.Random(seed)
    for _ in range(n):
        b = bytearray(rnd.choice(pool)[:4096])
        for _ in range(rnd.randint(1, 4)):
            op = rnd.randrange(6)
            at = rnd.randint(0, len(b))
            if op == 0 and b:
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            elif op == 1:
                b[at:at] = rnd.choice(TOKENS)
            elif op == 2:
                del b[at:at + rnd.randint(1, 8)]
            elif op == 3:
                del b[at:]
            elif op == 4:
                o = rnd.choice(pool)
                i = rnd.randint(0, len(o))
                b[at:] = o[i:i + rnd.randint(0, 64)]
            else:
                b[at:at] = b[at:at + rnd.randint(1, 16)]
        yield bytes(b[:4096])


class Refused(ValueError):
    pass


def refuse_constant(name):
    raise Refused("not JSON: " + name)


def python_verdict(data):
    """'accept', 'reject' or 'limit' (Python's recursion limit)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "reject"
    try:
        json.loads(text, parse_constant=refuse_constant, parse_int=str,
                   parse_float=str)
    except RecursionError:
        return "limit"
    except ValueError:
        return "reject"
    return "accept"


def files(paths):
    for p in paths:
        if os.path.isdir(p):
            for n in sorted(os.listdir(p)):
                if not n.startswith(".") and os.path.isfile(os.path.join(p, n)):
                    yield os.path.join(p, n)
        else:
            yield p


def main():
    args = sys.argv[1:]
    nmut = 0
    if args[:1] == ["--mutate"] and len(args) > 1:
        nmut = int(args[1])
        args = args[2:]
    if len(args) < 2:
        sys.exit("usage: json_diff.py [--mutate N] VERDICT PATH...")
    sys.setrecursionlimit(10000)
    out = subprocess.run(args, stdout=subprocess.PIPE, check=False)
    if out.returncode != 0:
        sys.exit("json_diff: %s exited %d" % (args[0], out.returncode))
    lines = out.stdout.decode("utf-8", "replace").splitlines()
    made = {}
    if nmut > 0:
        pool = []
        for p in files(args[1:]):
            with open(p, "rb") as fp:
                pool.append(fp.read())
        recs = []
        for i, m in enumerate(mutants(pool, nmut)):
            made["#%d" % i] = m
            recs.append(b"%d\n%s" % (len(m), m))
        mo = subprocess.run([args[0]], input=b"".join(recs),
                            stdout=subprocess.PIPE, check=False)
        if mo.returncode != 0:
            sys.exit("json_diff: %s exited %d" % (args[0], mo.returncode))
        got = mo.stdout.decode("utf-8", "replace").splitlines()
        if len(got) != nmut:
            sys.exit("json_diff: %s judged %d of %d mutants"
                     % (args[0], len(got), nmut))
        lines += got
    total = agree = limit = informative = 0
    differ = []
    for line in lines:
        f = line.split("\t", 3)
        ours, path = f[0], f[-1]
        why = f[2] if ours == "reject" else ""
        if path in made:
            data = made[path]
            path = "mutant %s (base64 %s)" % (
                path, base64.b64encode(data[:300]).decode())
        else:
            with open(path, "rb") as fp:
                data = fp.read()
        py = python_verdict(data)
        total += 1
        base = os.path.basename(path)
        want = {"y_": "accept", "n_": "reject"}.get(base[:2])
        if want is not None and ours != want:
            differ.append((path, ours, why, "JSONTestSuite says " + want))
        elif py == ours:
            agree += 1
        elif py == "limit" or why == "nesting too deep":
            limit += 1
        elif base.startswith("i_"):
            informative += 1
            print("# i_ (either is right): %s: scanner %s, python %s"
                  % (base, ours, py))
        else:
            differ.append((path, ours, why, "python " + py))
    for path, ours, why, py in differ:
        print("DIFF %s: scanner %s%s, %s"
              % (path, ours, " (%s)" % why if why else "", py))
    print("json_diff: %d inputs (%d mutants), %d agree, %d differ, "
          "%d at a depth limit, %d i_ cases either way"
          % (total, len(made), agree, len(differ), limit, informative))
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
