#!/usr/bin/python3
"""A stand-in for s3put's ack stream, for kcons --commit-acks tests.

Reads kcons -J envelopes on stdin, keeps every record in --store (what
"landed"), and writes one DESIGN.md ack line per batch of --batch records
of a partition to stdout, flushed at once.  With --flush-on-eof the last
partial batches are stored and acked at EOF (a clean stop); without it
they are dropped unacked (the data never became durable).
"""
import argparse, json, sys

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=10)
ap.add_argument("--store", required=True)
ap.add_argument("--flush-on-eof", action="store_true")
args = ap.parse_args()
pending = {}
store = open(args.store, "a")

def ack(tp):
    recs = pending.pop(tp)
    for r in recs:
        store.write(json.dumps(r["value"], separators=(",", ":")) + "\n")
    store.flush()
    print(json.dumps({"bucket": "test", "key": "%s+%d+%020d.jsonl.gz" % (tp[0], tp[1], recs[0]["offset"]),
                      "records": len(recs), "bytes": 0, "etag": "\"0\"",
                      "topic": tp[0], "partition": tp[1],
                      "first_offset": recs[0]["offset"], "last_offset": recs[-1]["offset"]}),
          flush=True)

for line in sys.stdin:
    env = json.loads(line)
    tp = (env["topic"], env["partition"])
    pending.setdefault(tp, []).append(env)
    if len(pending[tp]) >= args.batch:
        ack(tp)
if args.flush_on_eof:
    for tp in list(pending):
        ack(tp)
