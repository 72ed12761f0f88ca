#!/usr/bin/python3
"""A stand-in for the AWS Lambda Runtime API, for lambda-bootstrap's tests.

Lambda itself cannot run here, so this plays its Runtime API from AWS's
published description (version 2018-06-01):
  GET  /2018-06-01/runtime/invocation/next     the next event, with the
       headers Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms,
       Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id
  POST /2018-06-01/runtime/invocation/ID/response   202
  POST /2018-06-01/runtime/invocation/ID/error      202
  POST /2018-06-01/runtime/init/error               202
Events come from --events (JSON lines {"event": ..., "deadline_ms": N},
N from now).  When they run out, "next" answers 500, which a real
Lambda never does; the tests use it to end the bootstrap.  Every POST
is logged to --log as {"t", "kind", "id", "headers", "body",
"deadline_ms"} (the deadline given with that invocation's event).
"""
import argparse
import http.server
import json
import threading
import time

import loopback

ARGS = None
LOCK = threading.Lock()
STATE = {"n": 0, "events": [], "deadlines": {}}


class Api(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/2018-06-01/runtime/invocation/next":
            return self.send(404)
        with LOCK:
            if STATE["n"] >= len(STATE["events"]):
                return self.send(500, b'{"errorMessage":"no more events (test stand-in)"}')
            ev = STATE["events"][STATE["n"]]
            STATE["n"] += 1
            rid = "req-%d" % STATE["n"]
        deadline = int(time.time() * 1000) + ev.get("deadline_ms", 60000)
        with LOCK:
            STATE["deadlines"][rid] = deadline
        self.send(200, json.dumps(ev.get("event", {})).encode(), [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", rid),
            ("Lambda-Runtime-Deadline-Ms", str(deadline)),
            ("Lambda-Runtime-Invoked-Function-Arn",
             "arn:aws:lambda:eu-north-1:123456789012:function:quotepipe-producer"),
            ("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),
        ])

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = self.path.split("/")
        if self.path == "/2018-06-01/runtime/init/error":
            kind, rid = "init-error", None
        elif len(parts) == 6 and parts[3] == "invocation" and parts[5] in ("response", "error"):
            kind, rid = parts[5], parts[4]
        else:
            return self.send(404)
        with LOCK, open(ARGS.log, "a") as f:
            f.write(json.dumps({"t": time.time(), "kind": kind, "id": rid,
                                "headers": dict(self.headers.items()),
                                "body": body.decode("utf-8", "replace"),
                                "deadline_ms": STATE["deadlines"].get(rid)}) + "\n")
        self.send(202, b'{"status":"OK"}')


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--events", required=True)
    ARGS = p.parse_args()
    with open(ARGS.events) as f:
        STATE["events"] = [json.loads(l) for l in f if l.strip()]
    loopback.serve(Api, ARGS.port_file, None)


if __name__ == "__main__":
    main()
